#pragma once
/// @file
/// Generates the next object while the current one is being scanned. Building a parcel or
/// bag scene costs about as much CPU as simulating its X-ray lines, so doing it in the
/// driver's read path would stall the stream once per object; a scene depends only on
/// (seed, index), so the next one can be made ahead of time without changing any result.

#include <cstdint>
#include <future>
#include <memory>
#include <optional>

#include "scene.hpp"

namespace oi::sim {

/// Hands out scenes by index, generating index + 1 in the background meanwhile.
class ScenePrefetcher {
 public:
  ScenePrefetcher() = default;
  ScenePrefetcher(const ScenePrefetcher&) = delete;
  ScenePrefetcher& operator=(const ScenePrefetcher&) = delete;
  ~ScenePrefetcher() { discard(); }

  /// Scene `config.index`: the prefetched one when it matches, else generated now. Then
  /// starts generating `next` in the background (none when nullopt: the run ends). Exceptions
  /// from generate_scene() (for either scene) are thrown here, when that scene is asked for.
  std::unique_ptr<Scene> take(const SceneConfig& config, const std::optional<SceneConfig>& next) {
    std::unique_ptr<Scene> scene;
    if (pending_ && pending_index_ == config.index) {
      scene = pending_->get();
      pending_.reset();
    } else {
      discard();
      scene = generate_scene(config);
    }
    if (next) {
      pending_index_ = next->index;
      pending_ = std::async(std::launch::async, [next = *next] { return generate_scene(next); });
    }
    return scene;
  }

  /// Drops the scene in the making (settings changed): waits for it, ignoring its outcome.
  void discard() {
    if (!pending_) return;
    try {
      pending_->wait();
      pending_->get();
    } catch (...) {
      // A scene nobody will ask for cannot fail anyone; the next take() regenerates.
    }
    pending_.reset();
  }

 private:
  std::optional<std::future<std::unique_ptr<Scene>>> pending_;
  std::uint64_t pending_index_ = 0;
};

}  // namespace oi::sim
