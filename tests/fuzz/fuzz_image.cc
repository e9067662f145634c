// Fuzz target: the image path of uploads (cgi-bin/files/image.h), the
// decode + check + strip + thumbnail call the files program makes on every
// upload, over arbitrary bytes: libvips' PNG, JPEG, GIF and WebP loaders
// (the only ones left unblocked) and our code around them. Properties: it
// never crashes; an accepted image has its size within the pixel limit, a
// stored copy and a thumbnail that decode again as images, the thumbnail
// at most 400 x 400; neither carries a GPS position, XMP, IPTC or EXIF text
// (what libvips writes back is only the orientation and resolution tags it
// makes itself). Seeds: small images
// made by tests/fuzz/image-seeds.mjs at build time (no committed blobs).
#include <vips/vips.h>

#include <cstdint>
#include <string>

#include "files/image.h"
#include "harness.h"

namespace {

// True when libvips reads from `bytes` any metadata that could say where,
// who or with what: GPS (EXIF IFD 3), EXIF text tags, XMP, IPTC.
bool CarriesPrivateMetadata(const std::string& bytes) {
  VipsImage* image = vips_image_new_from_buffer(bytes.data(), bytes.size(), "", nullptr);
  if (image == nullptr) return false;
  bool found = false;
  gchar** fields = vips_image_get_fields(image);
  for (gchar** f = fields; *f != nullptr; ++f) {
    std::string name = *f;
    for (const char* bad :
         {"exif-ifd3-", "exif-ifd0-ImageDescription", "exif-ifd0-Make", "exif-ifd0-Model",
          "exif-ifd0-Artist", "exif-ifd0-Copyright", "xmp-data", "iptc-data"}) {
      found = found || name.rfind(bad, 0) == 0;
    }
  }
  g_strfreev(fields);
  g_object_unref(image);
  vips_error_clear();
  return found;
}

chat::fuzz::Property accepted("image accepted: stored and thumbnail re-decode");
chat::fuzz::Property refused("image refused over the pixel limit");

bool Started() {
  static bool ok = chat::StartImages("fuzz_image");
  return ok;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using chat::ImageResult;
  using chat::fuzz::Require;
  Require(Started(), "libvips did not start");
  // A small pixel limit keeps each input fast; the limit's own check is
  // what is exercised, whatever the number.
  chat::ImageLimits limits{4LL * 1000 * 1000, 5};
  std::string bytes(reinterpret_cast<const char*>(data), size);
  ImageResult r = chat::ProcessImage(bytes, limits);
  if (r.kind == ImageResult::kTooLarge) refused.Reached();
  if (r.kind != ImageResult::kImage) return 0;
  Require(r.width > 0 && r.height > 0, "image without a size");
  Require(static_cast<int64_t>(r.width) * r.height <= limits.max_pixels, "over the pixel limit");
  Require(!r.stored.empty() && !r.thumb.empty(), "image without stored bytes or thumbnail");
  Require(!CarriesPrivateMetadata(r.stored), "metadata left in the stored image");
  Require(!CarriesPrivateMetadata(r.thumb), "metadata left in the thumbnail");
  ImageResult again = chat::ProcessImage(r.stored, limits);
  Require(again.kind == ImageResult::kImage && again.type == r.type, "stored copy does not decode");
  Require(again.width == r.width, "stored copy changed width");
  ImageResult thumb = chat::ProcessImage(r.thumb, limits);
  Require(thumb.kind == ImageResult::kImage && thumb.type == "image/webp",
          "thumbnail does not decode");
  Require(thumb.width <= chat::kThumbSize && thumb.height <= chat::kThumbSize, "thumbnail too big");
  accepted.Reached();
  return 0;
}
