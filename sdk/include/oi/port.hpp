#pragma once
/// @file
/// Typed ports. A connection is valid when the input port accepts the output port's type;
/// the graph loader checks every connection before anything runs.

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "oi/frame.hpp"
#include "oi/pixel_format.hpp"

namespace oi {

/// Frame kind plus the pixel formats of its planes. An empty format list means "any".
struct PortType {
  std::string kind = std::string(frame_kind::kAny);  ///< e.g. a domain's kind, or "any"
  std::vector<PixelFormat> formats;                  ///< allowed plane formats; empty = any

  /// Matches every frame.
  static PortType any() { return {}; }
  /// A kind with optional formats, e.g. `PortType::of(oi::xray::frame_kind::kScanBlock, {PixelFormat::kU16})`
  /// (<oi/xray/contract.hpp>).
  static PortType of(std::string_view kind, std::vector<PixelFormat> formats = {});
  /// Any of several kinds, e.g. a stage that works on scan blocks as they arrive and on whole
  /// scans: `PortType::of_kinds({frame_kind::kScanBlock, frame_kind::kScan})`. Written
  /// "KIND|KIND" in `kind`.
  static PortType of_kinds(std::initializer_list<std::string_view> kinds,
                           std::vector<PixelFormat> formats = {});

  /// True when frames described by `produced` may flow into a port of this type: the kinds
  /// have one in common (or either is "any") and formats intersect (or either list is empty).
  bool accepts(const PortType& produced) const;
  /// What of `produced` this port lets through: the kinds both name (either "any": the other's)
  /// and the formats both name (either list empty: the other's). Meaningful when accepts().
  PortType narrowed_to(const PortType& produced) const;
  /// "xray.scan_block<u16>", "video.frame<rgb8>", "any".
  std::string str() const;
};

/// One input or output of a stage.
struct PortSpec {
  std::string name;         ///< port name, unique per direction within a stage
  PortType type;            ///< what flows through it
  bool required = true;     ///< inputs only: the graph fails to load when it is unconnected
  std::string description;  ///< one line for docs
  /// Inputs only: the input accepts several producers, one per source (cameras feeding one
  /// chain, in the spirit of DeepStream's stream multiplexer). Frames are taken in the order
  /// they arrive, alternating between producers that have one queued; the input ends when
  /// every producer has ended. A stage that sets it keeps its state per source
  /// (FrameMetadata::source_device). Other inputs have exactly one producer.
  bool multi_source = false;
  /// Outputs only: the name of an input of the same stage whose frames this output passes on as
  /// the kind they came in (a stage that corrects scan blocks as blocks and whole scans as
  /// scans). The loader then checks what follows the output against the kinds that really reach
  /// it (`type` narrowed to that input's producers), not against every kind `type` allows.
  std::string kind_follows;
};

}  // namespace oi
