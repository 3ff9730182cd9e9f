#include "dicos_files.hpp"

#include <dcmtk/config/osconfig.h>  // first, as DCMTK requires
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/oflog/oflog.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <random>

#include "oi/error.hpp"
#include "oi/files.hpp"
#include "oi/version.hpp"

namespace oi::dicos {
namespace {

constexpr const char* kDicosVersion = "V03";

// DCMTK logs a bad file's details to stderr besides returning them; the errors thrown here
// carry them, so its own log is kept to fatal messages.
void quiet_dcmtk() {
  static std::once_flag once;
  std::call_once(once, [] { OFLog::configure(OFLogger::FATAL_LOG_LEVEL); });
}

void check(const OFCondition& status, const std::filesystem::path& file, const char* what) {
  if (status.bad())
    throw Error("DICOS file " + file.string() + ": cannot set " + what + ": " + status.text());
}

void put(DcmItem& item, const DcmTagKey& tag, const std::string& value, const std::filesystem::path& file) {
  check(item.putAndInsertString(tag, value.c_str()), file, DcmTag(tag).getTagName());
}

std::tm utc_of(std::int64_t ns) {
  const std::time_t s = static_cast<std::time_t>(ns / 1000000000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  return tm;
}

std::string da(std::int64_t ns) {
  const std::tm t = utc_of(ns);
  char text[16];
  std::snprintf(text, sizeof text, "%04d%02d%02d", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday);
  return text;
}

std::string tm_of(std::int64_t ns) {
  const std::tm t = utc_of(ns);
  char text[24];
  std::snprintf(text, sizeof text, "%02d%02d%02d.%06d", t.tm_hour, t.tm_min, t.tm_sec,
                static_cast<int>((ns / 1000) % 1000000));
  return text;
}

std::string dt(std::int64_t ns) { return da(ns) + tm_of(ns) + "+0000"; }

std::string ds(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

// The identity, time, equipment and object-of-inspection attributes every object of the scan
// carries.
void put_common(DcmItem& d, const ScanInfo& scan, const std::string& study_uid, const std::string& series_uid,
                const std::string& frame_uid, const std::filesystem::path& file) {
  put(d, DCM_SpecificCharacterSet, "ISO_IR 192", file);
  put(d, DCM_StudyInstanceUID, study_uid, file);
  put(d, DCM_SeriesInstanceUID, series_uid, file);
  if (!frame_uid.empty()) put(d, DCM_FrameOfReferenceUID, frame_uid, file);
  put(d, DCM_StudyID, std::to_string(scan.scan_id), file);
  put(d, DCM_PatientID, std::to_string(scan.scan_id), file);  // DICOS: the object of inspection's id
  put(d, DCM_StudyDate, da(scan.capture_time_ns), file);
  put(d, DCM_StudyTime, tm_of(scan.capture_time_ns), file);
  put(d, DCM_SeriesDate, da(scan.capture_time_ns), file);
  put(d, DCM_SeriesTime, tm_of(scan.capture_time_ns), file);
  put(d, DCM_TimezoneOffsetFromUTC, "+0000", file);
  put(d, DCM_Manufacturer, scan.manufacturer, file);
  if (!scan.model.empty()) put(d, DCM_ManufacturerModelName, scan.model, file);
  if (!scan.serial.empty()) put(d, DCM_DeviceSerialNumber, scan.serial, file);
  if (!scan.institution.empty()) put(d, DCM_InstitutionName, scan.institution, file);
  put(d, DCM_StationName, scan.station.substr(0, 16), file);
  put(d, DCM_SoftwareVersions, std::string("OpenInspect ") + kSdkVersion, file);
  put(d, DCM_OOIType, scan.ooi_type, file);
  put(d, DCM_DICOSVersion, kDicosVersion, file);
}

// Saves as a Part 10 file (preamble, DICM, meta header), explicit VR little endian, through a
// temporary name so that a reader never sees half a file.
void save(DcmFileFormat& format, const std::filesystem::path& file) {
  std::filesystem::path partial = file;
  partial += ".partial";
  const OFCondition status = format.saveFile(partial.c_str(), EXS_LittleEndianExplicit);
  std::error_code error;
  if (status.bad()) {
    std::filesystem::remove(partial, error);
    throw Error("cannot write DICOS file " + file.string() + ": " + status.text() +
                " (check the folder's free space and permissions)");
  }
  std::filesystem::rename(partial, file, error);
  if (error) throw Error("cannot write DICOS file " + file.string() + ": " + error.message());
}

std::string threat_category(const std::string& cls) {
  if (cls == "narcotics") return "CONTRABAND";
  if (cls == "firearm" || cls == "knife") return "METAL";
  return "ANOMALY";
}

std::string alarm_decision(const std::string& decision) {
  if (decision == "alarm") return "ALARM";
  if (decision == "clear") return "NO_ALARM";
  return "UNKNOWN";  // cannot_clear, or no decision
}

}  // namespace

std::string new_uid() {
  std::random_device device;
  unsigned __int128 value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 32) | device();
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(value % 10)));
    value /= 10;
  } while (value != 0);
  return "2.25." + digits;
}

std::vector<std::filesystem::path> write_scan(const std::filesystem::path& dir, const std::string& stem,
                                              const ScanInfo& scan, const std::vector<Channel>& channels,
                                              const nlohmann::json& detections, const std::string& decision,
                                              const std::string& verdict) {
  quiet_dcmtk();
  const std::string study_uid = new_uid();
  const std::string frame_uid = new_uid();
  std::vector<std::filesystem::path> files;
  std::vector<WrittenImage> images;
  int series_number = 1;
  for (const Channel& channel : channels) {
    const std::filesystem::path file = dir / (stem + "_dx_" + channel.name + ".dcm");
    if (channel.pixels.size() !=
        static_cast<std::size_t>(channel.width) * static_cast<std::size_t>(channel.height))
      throw Error("DICOS file " + file.string() + ": channel " + channel.name + " has " +
                  std::to_string(channel.pixels.size()) + " pixels for " + std::to_string(channel.width) +
                  " x " + std::to_string(channel.height));
    DcmFileFormat format;
    DcmDataset& d = *format.getDataset();
    WrittenImage image{file, UID_DICOS_DigitalXRayImageStorageForProcessing, new_uid()};
    put(d, DCM_SOPClassUID, image.sop_class_uid, file);
    put(d, DCM_SOPInstanceUID, image.sop_instance_uid, file);
    put_common(d, scan, study_uid, new_uid(), frame_uid, file);
    put(d, DCM_Modality, "DX", file);
    put(d, DCM_SeriesNumber, std::to_string(series_number++), file);
    put(d, DCM_InstanceNumber, "1", file);
    put(d, DCM_ImageType, scan.transmission ? "DERIVED\\PRIMARY" : "ORIGINAL\\PRIMARY", file);
    put(d, DCM_PresentationIntentType, "FOR PROCESSING", file);
    const std::string reference =
        (scan.calibration.empty() ? "" : "calibration " + scan.calibration + ", ") +
        (scan.transmission ? "transmission (dark and air corrected, air = 65535), " : "raw counts, ");
    put(d, DCM_SeriesDescription,
        reference + "view " + std::to_string(scan.view) + " " + channel.name + " energy", file);
    put(d, DCM_ImageComments,
        reference + "energy channel " + channel.name + ", view " + std::to_string(scan.view), file);
    put(d, DCM_ContentDate, da(scan.capture_time_ns), file);
    put(d, DCM_ContentTime, tm_of(scan.capture_time_ns), file);
    put(d, DCM_AcquisitionDateTime, dt(scan.capture_time_ns), file);
    put(d, DCM_ScanType, "OPERATIONAL", file);
    put(d, DCM_AcquisitionStatus, scan.incomplete ? "INCOMPLETE" : "SUCCESSFUL", file);
    if (scan.kv > 0) put(d, DCM_KVP, ds(scan.kv), file);
    if (scan.ma > 0) put(d, DCM_XRayTubeCurrentInuA, ds(scan.ma * 1000.0), file);
    put(d, DCM_DetectorConfiguration, "SLOT", file);
    if (scan.pixel_pitch_mm > 0) {
      const std::string spacing = ds(scan.pixel_pitch_mm) + "\\" + ds(scan.pixel_pitch_mm);
      put(d, DCM_PixelSpacing, spacing, file);
      put(d, DCM_ImagerPixelSpacing, spacing, file);
    }
    put(d, DCM_ImagePositionPatient, "0\\0\\0", file);
    put(d, DCM_ImageOrientationPatient, "1\\0\\0\\0\\1\\0", file);
    check(d.putAndInsertUint16(DCM_SamplesPerPixel, 1), file, "SamplesPerPixel");
    put(d, DCM_PhotometricInterpretation, "MONOCHROME2", file);
    check(d.putAndInsertUint16(DCM_Rows, static_cast<Uint16>(channel.height)), file, "Rows");
    check(d.putAndInsertUint16(DCM_Columns, static_cast<Uint16>(channel.width)), file, "Columns");
    check(d.putAndInsertUint16(DCM_BitsAllocated, 16), file, "BitsAllocated");
    check(d.putAndInsertUint16(DCM_BitsStored, 16), file, "BitsStored");
    check(d.putAndInsertUint16(DCM_HighBit, 15), file, "HighBit");
    check(d.putAndInsertUint16(DCM_PixelRepresentation, 0), file, "PixelRepresentation");
    check(d.putAndInsertUint16Array(DCM_PixelData, channel.pixels.data(), channel.pixels.size()), file,
          "PixelData");
    save(format, file);
    files.push_back(file);
    images.push_back(image);
  }
  if (!scan.calibration.empty()) return files;

  const std::filesystem::path file = dir / (stem + "_tdr.dcm");
  DcmFileFormat format;
  DcmDataset& d = *format.getDataset();
  put(d, DCM_SOPClassUID, UID_DICOS_ThreatDetectionReportStorage, file);
  put(d, DCM_SOPInstanceUID, new_uid(), file);
  put_common(d, scan, study_uid, new_uid(), frame_uid, file);
  put(d, DCM_Modality, "TDR", file);
  put(d, DCM_SeriesNumber, std::to_string(series_number), file);
  put(d, DCM_InstanceNumber, "1", file);
  put(d, DCM_ContentDate, da(scan.capture_time_ns), file);
  put(d, DCM_ContentTime, tm_of(scan.capture_time_ns), file);
  put(d, DCM_TDRType, verdict.empty() ? "MACHINE" : "OPERATOR", file);
  put(d, DCM_ThreatDetectionAlgorithmAndVersion, std::string("OpenInspect xray.detect\\") + kSdkVersion,
      file);
  put(d, DCM_AlarmDecision, alarm_decision(decision), file);
  put(d, DCM_AlarmDecisionTime, dt(scan.capture_time_ns), file);
  if (!verdict.empty()) put(d, DCM_ImageComments, "operator verdict: " + verdict, file);
  Uint16 total = 0;
  Uint16 alarms = 0;
  for (const nlohmann::json& detection : detections) {
    if (detection.value("tip", false)) continue;
    const std::string cls = detection.value("class", "");
    DcmItem* pto = nullptr;
    check(d.findOrCreateSequenceItem(DCM_ThreatSequence, pto, -2), file, "ThreatSequence");
    check(pto->putAndInsertUint16(DCM_PotentialThreatObjectID, total), file, "PotentialThreatObjectID");
    ++total;
    if (cls != "shielding") ++alarms;

    DcmItem* representation = nullptr;
    check(pto->findOrCreateSequenceItem(DCM_PTORepresentationSequence, representation, -2), file,
          "PTORepresentationSequence");
    for (const WrittenImage& image : images) {
      DcmItem* reference = nullptr;
      check(representation->findOrCreateSequenceItem(DCM_ReferencedInstanceSequence, reference, -2), file,
            "ReferencedInstanceSequence");
      put(*reference, DCM_ReferencedSOPClassUID, image.sop_class_uid, file);
      put(*reference, DCM_ReferencedSOPInstanceUID, image.sop_instance_uid, file);
    }
    std::array<Float32, 4> box{0, 0, 0, 0};
    if (detection.contains("box") && detection["box"].is_array() && detection["box"].size() == 4)
      for (std::size_t i = 0; i < 4; ++i) box[i] = detection["box"][i].get<Float32>();
    const Float32 polygon[6] = {box[0], box[1], 0.0f, box[0] + box[2], box[1] + box[3], 0.0f};
    check(representation->putAndInsertFloat32Array(DCM_BoundingPolygon, polygon, 6), file, "BoundingPolygon");
    DcmItem* voxels = nullptr;
    check(representation->findOrCreateSequenceItem(DCM_ThreatROIVoxelSequence, voxels, -2), file,
          "ThreatROIVoxelSequence");
    const Float32 base[3] = {box[0], box[1], 0.0f};
    const Float32 extents[3] = {box[2], box[3], 1.0f};
    check(voxels->putAndInsertFloat32Array(DCM_ThreatROIBase, base, 3), file, "ThreatROIBase");
    check(voxels->putAndInsertFloat32Array(DCM_ThreatROIExtents, extents, 3), file, "ThreatROIExtents");

    DcmItem* assessment = nullptr;
    check(pto->findOrCreateSequenceItem(DCM_ATDAssessmentSequence, assessment, -2), file,
          "ATDAssessmentSequence");
    put(*assessment, DCM_ThreatCategory, threat_category(cls), file);
    put(*assessment, DCM_ThreatCategoryDescription, cls, file);
    put(*assessment, DCM_ATDAssessmentFlag, "THREAT", file);
    if (cls == "shielding") put(*assessment, DCM_ATDAbilityAssessment, "SHIELD", file);
    check(assessment->putAndInsertFloat32(DCM_ATDAssessmentProbability, detection.value("score", 0.0f)), file,
          "ATDAssessmentProbability");
  }
  check(d.putAndInsertUint16(DCM_NumberOfTotalObjects, total), file, "NumberOfTotalObjects");
  check(d.putAndInsertUint16(DCM_NumberOfAlarmObjects, alarms), file, "NumberOfAlarmObjects");
  save(format, file);
  files.push_back(file);
  return files;
}

std::filesystem::path write_operator_tdr(const std::filesystem::path& machine_tdr, const std::string& verdict,
                                         const std::string& officer, const std::string& note,
                                         std::int64_t time_ns) {
  quiet_dcmtk();
  DcmFileFormat format;
  const OFCondition loaded = format.loadFile(machine_tdr.c_str());
  if (loaded.bad())
    throw Error("DICOS file " + machine_tdr.string() + " cannot be read: " + loaded.text() +
                " (the machine TDR sink.dicos wrote for the scan)");
  DcmDataset& d = *format.getDataset();
  OFString sop_class, machine_uid;
  d.findAndGetOFString(DCM_SOPClassUID, sop_class);
  d.findAndGetOFString(DCM_SOPInstanceUID, machine_uid);
  if (sop_class != UID_DICOS_ThreatDetectionReportStorage)
    throw Error("DICOS file " + machine_tdr.string() + " is not a Threat Detection Report");
  std::string stem = machine_tdr.filename().string();
  stem = stem.substr(0, stem.size() - std::string(".dcm").size());
  std::filesystem::path file = machine_tdr.parent_path() / (stem + "_operator.dcm");
  for (int repeat = 2; std::filesystem::exists(file); ++repeat)
    file = machine_tdr.parent_path() / (stem + "_operator_" + std::to_string(repeat) + ".dcm");
  put(d, DCM_SOPInstanceUID, new_uid(), file);
  put(d, DCM_SeriesInstanceUID, new_uid(), file);
  put(d, DCM_TDRType, "OPERATOR", file);
  put(d, DCM_OperatorsName, officer, file);
  put(d, DCM_AlarmDecision, verdict == "cleared" ? "NO_ALARM" : "ALARM", file);
  put(d, DCM_AlarmDecisionTime, dt(time_ns), file);
  put(d, DCM_ContentDate, da(time_ns), file);
  put(d, DCM_ContentTime, tm_of(time_ns), file);
  put(d, DCM_ImageComments, "operator verdict: " + verdict + (note.empty() ? "" : "; " + note), file);
  DcmItem* reference = nullptr;
  check(d.findOrCreateSequenceItem(DCM_ReferencedInstanceSequence, reference, -2), file,
        "ReferencedInstanceSequence");
  put(*reference, DCM_ReferencedSOPClassUID, UID_DICOS_ThreatDetectionReportStorage, file);
  put(*reference, DCM_ReferencedSOPInstanceUID, machine_uid.c_str(), file);
  save(format, file);
  return file;
}

DxImage read_dx(const std::filesystem::path& file) {
  quiet_dcmtk();
  // A file that is missing or that this user may not read is not called damaged.
  if (auto problem = input_file_problem(file); problem && is_unreadable(*problem))
    throw Error("DICOS file " + file.string() + " " + *problem);
  DcmFileFormat format;
  const OFCondition loaded = format.loadFile(file.c_str());
  if (loaded.bad())
    throw Error("DICOS file " + file.string() + " cannot be read: " + loaded.text() +
                " (not a DICOM file, or truncated)");
  DcmDataset& d = *format.getDataset();
  auto text = [&](const DcmTagKey& tag) {
    OFString value;
    d.findAndGetOFStringArray(tag, value);
    return std::string(value.c_str());
  };
  const std::string sop_class = text(DCM_SOPClassUID);
  if (sop_class != UID_DICOS_DigitalXRayImageStorageForProcessing &&
      sop_class != UID_DICOS_DigitalXRayImageStorageForPresentation)
    throw Error("DICOS file " + file.string() + " is not a DICOS DX image (SOP class " +
                (sop_class.empty() ? std::string("missing") : sop_class) +
                "); the dicos driver plays DX images");
  Uint16 rows = 0, columns = 0, bits = 0, samples = 0, representation = 0;
  d.findAndGetUint16(DCM_Rows, rows);
  d.findAndGetUint16(DCM_Columns, columns);
  d.findAndGetUint16(DCM_BitsAllocated, bits);
  d.findAndGetUint16(DCM_SamplesPerPixel, samples);
  d.findAndGetUint16(DCM_PixelRepresentation, representation);
  if (bits != 16 || samples != 1 || representation != 0)
    throw Error("DICOS file " + file.string() + " has " + std::to_string(bits) + "-bit, " +
                std::to_string(samples) + "-sample, " + (representation ? "signed" : "unsigned") +
                " pixels; the dicos driver reads 16-bit unsigned single-channel DX images");
  if (!format.getMetaInfo() || DcmXfer(d.getOriginalXfer()).isEncapsulated()) {
    const DcmXfer xfer(d.getOriginalXfer());
    throw Error("DICOS file " + file.string() + " has compressed pixel data (transfer syntax " +
                xfer.getXferName() + ", " + xfer.getXferID() +
                "), which the dicos driver does not read; convert it to uncompressed first with "
                "`dcmdjpeg` (JPEG), `dcmdrle` (RLE), `dcmdjpls` (JPEG-LS) or `dcmconv +te`");
  }
  const Uint16* pixels = nullptr;
  unsigned long count = 0;
  if (d.findAndGetUint16Array(DCM_PixelData, pixels, &count).bad() || !pixels ||
      count < static_cast<unsigned long>(rows) * columns || rows == 0 || columns == 0)
    throw Error("DICOS file " + file.string() + " has no complete pixel data (" + std::to_string(count) +
                " values for " + std::to_string(rows) + " x " + std::to_string(columns) + "): truncated?");
  DxImage image;
  image.file = file;
  image.channel.width = columns;
  image.channel.height = rows;
  image.channel.pixels.assign(pixels, pixels + static_cast<std::size_t>(rows) * columns);
  const std::string comments = text(DCM_ImageComments);
  image.channel.name = comments.find("channel low") != std::string::npos ? "low" : "high";
  if (comments.rfind("calibration dark,", 0) == 0) image.scan.calibration = "dark";
  if (comments.rfind("calibration air,", 0) == 0) image.scan.calibration = "air";
  image.scan.transmission = comments.find("transmission (dark and air corrected") != std::string::npos;
  image.study_uid = text(DCM_StudyInstanceUID);
  try {
    image.scan.scan_id = std::stoull(text(DCM_StudyID));
  } catch (const std::exception&) {
    image.scan.scan_id = 0;
  }
  image.scan.station = text(DCM_StationName);
  image.scan.manufacturer = text(DCM_Manufacturer);
  image.scan.model = text(DCM_ManufacturerModelName);
  image.scan.serial = text(DCM_DeviceSerialNumber);
  OFString spacing;
  if (d.findAndGetOFString(DCM_PixelSpacing, spacing, 0).good())
    image.scan.pixel_pitch_mm = std::atof(spacing.c_str());
  Float64 kv = 0;
  if (d.findAndGetFloat64(DCM_KVP, kv).good()) image.scan.kv = kv;
  const std::string acquired = text(DCM_AcquisitionDateTime);
  if (acquired.size() >= 14 && acquired.substr(0, 14).find_first_not_of("0123456789") == std::string::npos) {
    std::tm t{};
    t.tm_year = std::stoi(acquired.substr(0, 4)) - 1900;
    t.tm_mon = std::stoi(acquired.substr(4, 2)) - 1;
    t.tm_mday = std::stoi(acquired.substr(6, 2));
    t.tm_hour = std::stoi(acquired.substr(8, 2));
    t.tm_min = std::stoi(acquired.substr(10, 2));
    t.tm_sec = std::stoi(acquired.substr(12, 2));
    // Nanoseconds since the epoch fit 64 bits from 1678 to 2262; DICOM dates are 4-digit years.
    if (t.tm_year < 1678 - 1900 || t.tm_year > 2261 - 1900 || t.tm_mon < 0 || t.tm_mon > 11 ||
        t.tm_mday < 1 || t.tm_mday > 31 || t.tm_hour > 23 || t.tm_min > 59 || t.tm_sec > 60)
      throw Error("DICOS file " + file.string() + ": AcquisitionDateTime \"" + acquired +
                  "\" is not a valid date and time (YYYYMMDDHHMMSS.FFFFFF)");
    std::int64_t ns = static_cast<std::int64_t>(timegm(&t)) * 1000000000;
    if (acquired.size() > 15 && acquired[14] == '.') {
      std::string fraction = acquired.substr(15, 6);
      while (fraction.size() < 6) fraction += '0';
      if (fraction.find_first_not_of("0123456789") == std::string::npos) ns += std::stoll(fraction) * 1000;
    }
    image.scan.capture_time_ns = ns;
  }
  image.scan.incomplete = text(DCM_AcquisitionStatus) == "INCOMPLETE";
  return image;
}

}  // namespace oi::dicos
