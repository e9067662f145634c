// See image.h.
#include "files/image.h"

#include <malloc.h>
#include <vips/vips.h>

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

#include <cstdlib>
#include <cstring>
#include <memory>

namespace chat {
namespace {

struct Unref {
  void operator()(VipsImage* p) const { g_object_unref(p); }
};
using ImagePtr = std::unique_ptr<VipsImage, Unref>;

struct GFree {
  void operator()(void* p) const { g_free(p); }
};

enum class Format { kNone, kPng, kJpeg, kGif, kWebp };

// The format's magic bytes (PNG: RFC 2083 3.1; JPEG: SOI + a marker; GIF:
// the 87a/89a signature; WebP: RIFF....WEBP), never the name or the
// declared type a client sent.
Format Sniff(const std::string& b) {
  auto starts = [&b](size_t at, const char* magic, size_t n) {
    return b.size() >= at + n && b.compare(at, n, magic, n) == 0;
  };
  if (starts(0, "\x89PNG\r\n\x1a\n", 8)) return Format::kPng;
  if (starts(0, "\xff\xd8\xff", 3)) return Format::kJpeg;
  if (starts(0, "GIF87a", 6) || starts(0, "GIF89a", 6)) return Format::kGif;
  if (starts(0, "RIFF", 4) && starts(8, "WEBP", 4)) return Format::kWebp;
  return Format::kNone;
}

// Stops the evaluation of an image (and of what is computed from it) once
// the deadline passed: libvips checks the kill flag between tiles. OnEval
// runs on the request's thread or on one of libvips' worker threads, so the
// deadline is set once, before libvips sees it, and is owned by the signal
// handler's closure (freed when the image is, after any invocation in
// progress), not by a stack frame that libvips' threads would have to
// outlive.
struct Deadline {
  const gint64 end_us;
};

// libvips hands work to its threads through GLib's semaphores (futex calls
// inside uninstrumented libraries), which ThreadSanitizer cannot see
// (make TSAN=1, README "Thread safety"): without these it reports the
// handler's read of the Deadline against the request thread's writing it.
// They tell TSan of the order libvips already guarantees; nothing otherwise.
#if defined(__SANITIZE_THREAD__)
void Published(const void* p) { __tsan_release(const_cast<void*>(p)); }
void Seen(const void* p) { __tsan_acquire(const_cast<void*>(p)); }
#else
void Published(const void*) {}
void Seen(const void*) {}
#endif

void OnEval(VipsImage* image, VipsProgress*, void* data) {
  const auto* deadline = static_cast<const Deadline*>(data);
  Seen(deadline);
  if (g_get_monotonic_time() > deadline->end_us) vips_image_set_kill(image, TRUE);
  Published(deadline);
}

// Watches `image` against a deadline `end_us` (g_get_monotonic_time's clock).
void WatchDeadline(VipsImage* image, gint64 end_us) {
  auto* deadline = new Deadline{end_us};
  Published(deadline);
  vips_image_set_progress(image, TRUE);
  g_signal_connect_data(
      image, "eval", G_CALLBACK(OnEval), deadline,
      [](gpointer data, GClosure*) {
        Seen(data);
        delete static_cast<Deadline*>(data);
      },
      static_cast<GConnectFlags>(0));
}

// Loads with the one loader of `format`, lazily (header only until pixels
// are asked for), streaming, failing on any decode error or truncation.
ImagePtr Load(Format format, const std::string& bytes) {
  void* buf = const_cast<char*>(bytes.data());
  size_t len = bytes.size();
  VipsImage* out = nullptr;
  int rc = -1;
  VipsAccess seq = VIPS_ACCESS_SEQUENTIAL;
  VipsFailOn fail = VIPS_FAIL_ON_ERROR;
  switch (format) {
    case Format::kPng:
      rc = vips_pngload_buffer(buf, len, &out, "access", seq, "fail_on", fail, nullptr);
      break;
    case Format::kJpeg:
      rc = vips_jpegload_buffer(buf, len, &out, "access", seq, "fail_on", fail, nullptr);
      break;
    case Format::kGif:
      rc = vips_gifload_buffer(buf, len, &out, "access", seq, "fail_on", fail, "n", -1, nullptr);
      break;
    case Format::kWebp:
      rc = vips_webpload_buffer(buf, len, &out, "access", seq, "fail_on", fail, "n", -1, nullptr);
      break;
    case Format::kNone:
      break;
  }
  if (rc != 0) return nullptr;
  return ImagePtr(out);
}

// Fields a saver may need to write the pixels as they are (animation,
// palette); every other metadata field goes (KeepOnly).
constexpr const char* kKeptFields[] = {"page-height", "n-pages",   "loop",    "delay",
                                       "gif-loop",    "gif-delay", "palette", "bits-per-sample"};

// A copy of `in` with only kKeptFields among its metadata. Needed beside
// the savers' strip option: libvips 8.14's webpsave ignores strip and
// writes the EXIF it finds (found by tests/fuzz/fuzz_image.cc: a WebP with
// a GPS position kept it), rebuilt from the "exif-*" fields as well as
// "exif-data", so all of those go.
ImagePtr KeepOnly(VipsImage* in) {
  VipsImage* copy = nullptr;
  if (vips_copy(in, &copy, nullptr) != 0) return nullptr;
  ImagePtr out(copy);
  gchar** fields = vips_image_get_fields(out.get());
  for (gchar** f = fields; *f != nullptr; ++f) {
    bool keep = false;
    for (const char* k : kKeptFields) keep = keep || strcmp(*f, k) == 0;
    if (!keep) vips_image_remove(out.get(), *f);  // the header's own fields stay whatever
  }
  g_strfreev(fields);
  return out;
}

// Re-encodes `in` in its own format with strip: no EXIF (GPS position,
// camera serial), XMP, IPTC or comments survive. "" on failure.
std::string SaveStripped(Format format, VipsImage* image) {
  ImagePtr bare = KeepOnly(image);
  if (!bare) return "";
  VipsImage* in = bare.get();
  void* buf = nullptr;
  size_t len = 0;
  int rc = -1;
  switch (format) {
    case Format::kPng:
      rc = vips_pngsave_buffer(in, &buf, &len, "strip", TRUE, nullptr);
      break;
    case Format::kJpeg:
      rc = vips_jpegsave_buffer(in, &buf, &len, "strip", TRUE, "Q", 90, nullptr);
      break;
    case Format::kGif:
      rc = vips_gifsave_buffer(in, &buf, &len, "strip", TRUE, nullptr);
      break;
    case Format::kWebp:
      rc = vips_webpsave_buffer(in, &buf, &len, "strip", TRUE, "Q", 90, nullptr);
      break;
    case Format::kNone:
      break;
  }
  std::unique_ptr<void, GFree> owned(buf);
  if (rc != 0 || buf == nullptr) return "";
  return std::string(static_cast<const char*>(buf), len);
}

// JPEG's EXIF orientation is applied to the pixels before the tag is
// stripped, so a phone photo keeps its way up. Turning needs the whole
// picture (random access), within the same pixel limit.
ImagePtr Upright(Format format, const std::string& bytes, ImagePtr image) {
  if (format != Format::kJpeg || vips_image_get_orientation(image.get()) <= 1) return image;
  VipsImage* random = nullptr;
  if (vips_jpegload_buffer(const_cast<char*>(bytes.data()), bytes.size(), &random, "fail_on",
                           VIPS_FAIL_ON_ERROR, nullptr) != 0) {
    return nullptr;
  }
  ImagePtr whole(random);
  VipsImage* turned = nullptr;
  if (vips_autorot(whole.get(), &turned, nullptr) != 0) return nullptr;
  return ImagePtr(turned);
}

std::string Thumbnail(const std::string& stored, gint64 end_us) {
  VipsImage* t = nullptr;
  if (vips_thumbnail_buffer(const_cast<char*>(stored.data()), stored.size(), &t, kThumbSize,
                            "height", kThumbSize, "size", VIPS_SIZE_DOWN, nullptr) != 0) {
    return "";
  }
  ImagePtr thumb = KeepOnly(t);
  g_object_unref(t);
  if (!thumb) return "";
  WatchDeadline(thumb.get(), end_us);
  void* buf = nullptr;
  size_t len = 0;
  int rc = vips_webpsave_buffer(thumb.get(), &buf, &len, "strip", TRUE, "Q", 80, nullptr);
  std::unique_ptr<void, GFree> owned(buf);
  if (rc != 0 || buf == nullptr) return "";
  return std::string(static_cast<const char*>(buf), len);
}

const char* TypeOf(Format f) {
  switch (f) {
    case Format::kPng:
      return "image/png";
    case Format::kJpeg:
      return "image/jpeg";
    case Format::kGif:
      return "image/gif";
    case Format::kWebp:
      return "image/webp";
    case Format::kNone:
      break;
  }
  return "application/octet-stream";
}

ImageResult Process(const std::string& bytes, const ImageLimits& limits) {
  ImageResult r;
  Format format = Sniff(bytes);
  if (format == Format::kNone) return r;
  ImagePtr image = Load(format, bytes);
  if (!image) return r;
  // The header alone says how many pixels decoding would make.
  int64_t width = vips_image_get_width(image.get());
  int64_t height = vips_image_get_height(image.get());  // all frames, stacked
  if (width <= 0 || height <= 0) return r;
  if (width * height > limits.max_pixels) {
    r.kind = ImageResult::kTooLarge;
    return r;
  }
  image = Upright(format, bytes, std::move(image));
  if (!image) return r;
  // The save and the thumbnail (made from the saved bytes) each have the
  // whole time limit.
  const auto budget_us = static_cast<gint64>(limits.max_seconds * 1e6);
  WatchDeadline(image.get(), g_get_monotonic_time() + budget_us);
  std::string stored = SaveStripped(format, image.get());
  if (stored.empty()) return r;
  std::string thumb = Thumbnail(stored, g_get_monotonic_time() + budget_us);
  if (thumb.empty()) return r;
  r.kind = ImageResult::kImage;
  r.type = TypeOf(format);
  r.width = vips_image_get_width(image.get());
  r.height = vips_image_get_page_height(image.get());
  r.stored = std::move(stored);
  r.thumb = std::move(thumb);
  return r;
}

}  // namespace

bool StartImages(const char* argv0) {
  // No dynamic modules: Debian's libvips would load ImageMagick, poppler,
  // libheif, libjxl and OpenSlide at start (vips-modules-8.14/) to offer
  // their loaders, which are blocked below anyway. libvips looks for them
  // under $VIPSHOME/lib when VIPSHOME is set (init.c vips_guess_libdir), so
  // pointing it at a folder that does not exist keeps that code (and its
  // memory: about half of an idle worker's) out of the process. The four
  // formats are in libvips itself.
  setenv("VIPSHOME", "/nonexistent/chatroom-no-vips-modules", 1);
  if (VIPS_INIT(argv0) != 0) return false;
  // One thread and no operation cache (no operations, no memory, no open
  // files kept: an upload's operations are never asked for again): a
  // request decodes on its own thread plus at most one of libvips', and the
  // worker's memory falls back once the upload is done (README
  // "Performance", S6).
  vips_concurrency_set(1);
  vips_cache_set_max(0);
  vips_cache_set_max_mem(0);
  vips_cache_set_max_files(0);
  vips_block_untrusted_set(TRUE);
  vips_operation_block_set("VipsForeignLoad", TRUE);
  for (const char* allowed : {"VipsForeignLoadPng", "VipsForeignLoadJpeg", "VipsForeignLoadNsgif",
                              "VipsForeignLoadWebp"}) {
    vips_operation_block_set(allowed, FALSE);
  }
  return true;
}

ImageResult ProcessImage(const std::string& bytes, const ImageLimits& limits) {
  ImageResult r = Process(bytes, limits);
  vips_error_clear();
  // Decoding buffers were freed, but glibc keeps freed heap in each
  // thread's arena; give it back so an idle worker shrinks again (S6).
  malloc_trim(0);
  return r;
}

}  // namespace chat
