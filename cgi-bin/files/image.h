// The image path of uploads: what the bytes are, and for PNG, JPEG, GIF and
// WebP a decoded, checked, metadata-free copy and a thumbnail, made by
// libvips (Debian's libvips 8.14: https://www.libvips.org/API/current/).
//
// Only the four loaders run: every other libvips loader (SVG, PDF, HEIF,
// the ImageMagick and "untrusted" ones) is blocked once per process
// (vips_block_untrusted_set, vips_operation_block_set), and each upload is
// read by the one loader its magic bytes name, never by libvips' guess.
// Decompression bombs are refused from the header alone (width x height x
// frames against CHAT_IMAGE_MAX_PIXELS, before a pixel is decoded), and
// decoding is streamed (sequential access: memory is a few rows, not the
// picture) and stopped after CHAT_IMAGE_DECODE_SECONDS. An image libvips
// cannot read to the end (truncated, corrupt) is not an image: the caller
// stores it as an opaque file, served only as a download.
//
// Kept out of core/: only the files program (and its fuzz target) links
// libvips, so the other workers' memory and start-up stay as they were.
#pragma once

#include <cstdint>
#include <string>

namespace chat {

struct ImageLimits {
  int64_t max_pixels = 50LL * 1000 * 1000;  // width x height x frames
  double max_seconds = 10;                  // decoding and encoding, each pass
};

struct ImageResult {
  enum Kind {
    kOpaque,    // not one of the four formats, or unreadable: store the bytes as they are
    kImage,     // decoded: stored, thumb, type, width, height are set
    kTooLarge,  // more pixels than max_pixels: refuse (a decompression bomb)
  };
  Kind kind = kOpaque;
  std::string type;    // image/png, image/jpeg, image/gif or image/webp
  std::string stored;  // the image re-encoded without metadata (EXIF, XMP, ICC comments)
  std::string thumb;   // WebP, at most 400 x 400, aspect kept
  int width = 0;
  int height = 0;  // of one frame
};

constexpr int kThumbSize = 400;  // issue 16: "a thumbnail no larger than 400 px"

// Starts libvips with the loaders blocked as above; once per process,
// before any ProcessImage. False when libvips could not start.
bool StartImages(const char* argv0);

// Sniffs `bytes` and, for the four formats, decodes them as above.
ImageResult ProcessImage(const std::string& bytes, const ImageLimits& limits);

}  // namespace chat
