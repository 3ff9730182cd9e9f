#pragma once
// DICOS (NEMA IIC 1, security DICOM) files of one X-ray scan, written and read with DCMTK:
// one DX image "for processing" per energy channel and view, and a Threat Detection Report
// (TDR) that lists every detection and refers to those images. sink.dicos writes them, the
// `dicos` driver reads DX images back as scans. docs/integration.md, "DICOS" lists the
// attributes. DCMTK stays behind this header.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace oi::dicos {

/// What the DX objects say about the scanner and the scan.
struct ScanInfo {
  std::uint64_t scan_id = 0;
  std::int64_t capture_time_ns = 0;
  std::string station;               ///< the device node (StationName)
  std::string manufacturer;          ///< Manufacturer
  std::string model;                 ///< ManufacturerModelName
  std::string serial;                ///< DeviceSerialNumber
  std::string institution;           ///< InstitutionName
  double pixel_pitch_mm = 0;         ///< detector pitch = belt advance per line, mm (0: unknown)
  double kv = 0;                     ///< tube voltage (KVP), 0: unknown
  double ma = 0;                     ///< tube current, mA, 0: unknown
  int view = 0;                      ///< detector view (0 for a single-view scanner)
  bool incomplete = false;           ///< the scan was cut short (AcquisitionStatus)
  std::string ooi_type = "BAGGAGE";  ///< object of inspection: BAGGAGE, CARGO, ...
  /// "dark" or "air" for a calibration reference (written as DX images without a TDR, so that
  /// the archive can be corrected exactly when it is played back); empty for a scan.
  std::string calibration;
  /// The pixels are transmission I/I0 after offset and gain correction, scaled so that air is
  /// 65535 and no signal 0 (what a DX image "for processing" usually holds), instead of the
  /// detector's raw counts.
  bool transmission = false;
};

/// The value of air (I = I0) in transmission pixels.
inline constexpr std::uint16_t kTransmissionAir = 65535;

/// One raw energy channel: u16 counts, row-major, packed.
struct Channel {
  std::string name;  ///< "high" or "low"
  int width = 0;
  int height = 0;
  std::vector<std::uint16_t> pixels;
};

/// A written DX object.
struct WrittenImage {
  std::filesystem::path file;
  std::string sop_class_uid;
  std::string sop_instance_uid;
};

/// Writes `<dir>/<stem>_dx_<channel>.dcm` per channel and `<dir>/<stem>_tdr.dcm` (not for a
/// calibration reference); returns the files, DX first. `detections` as xray.detect writes them ({class, box
/// [x,y,w,h], score}); those flagged `tip` are left out. `decision` is xray.detect's; `verdict` an officer's
/// (cleared, searched, seized) or empty. @throws oi::Error naming the file when it cannot be
/// written.
std::vector<std::filesystem::path> write_scan(const std::filesystem::path& dir, const std::string& stem,
                                              const ScanInfo& scan, const std::vector<Channel>& channels,
                                              const nlohmann::json& detections, const std::string& decision,
                                              const std::string& verdict);

/// Writes an OPERATOR TDR beside a machine TDR (`<stem>_tdr.dcm` -> `<stem>_tdr_operator.dcm`,
/// `_2`, ... when one exists): the machine TDR's objects, TDRType OPERATOR, OperatorsName the
/// officer, AlarmDecision from the verdict (seized and searched ALARM, cleared NO_ALARM), the
/// verdict and note in ImageComments, and a reference to the machine TDR. @throws oi::Error
/// naming the file when the machine TDR cannot be read or is not a TDR, or the new one cannot be
/// written.
std::filesystem::path write_operator_tdr(const std::filesystem::path& machine_tdr, const std::string& verdict,
                                         const std::string& officer, const std::string& note,
                                         std::int64_t time_ns);

/// A DX image read back.
struct DxImage {
  std::filesystem::path file;
  ScanInfo scan;
  Channel channel;
  std::string study_uid;  ///< the scan's images share it
};

/// Reads a DICOS DX image (16-bit, uncompressed). @throws oi::Error naming the file when it is
/// not a DICOM file, is truncated, is not a DICOS DX image or has pixel data this reader does
/// not take (it says which).
DxImage read_dx(const std::filesystem::path& file);

/// A new UID of the form 2.25.<128 random bits in decimal> (PS3.5 §B.2).
std::string new_uid();

}  // namespace oi::dicos
