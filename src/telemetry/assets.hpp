// src/telemetry/assets.hpp — the UI files from web/, embedded into the library at build time (embed_assets.cmake),
// so the UI works offline and no path ever reads a file from disk. Internal.
#pragma once

#include <cstddef>
#include <string_view>

namespace steady::telemetry {

struct Asset {
  std::string_view path;  // "/index.html"
  std::string_view content_type;
  std::string_view data;
};

extern const Asset kAssets[];
extern const std::size_t kAssetCount;

}  // namespace steady::telemetry
