// OCCT 7.6's glTF writer asks its output stream for its position (tellp)
// before and after every face's positions, normals and indices: 50,000
// times for the bench assembly. A std::filebuf answers each with an lseek
// system call. OCCT opens its files through a replaceable file system
// (OSD_FileSystem, with a selector of registered protocols); the one below
// is registered once, ahead of the local one, and takes the files opened
// for writing on a thread inside a glb_output_scope: it writes them through
// a 1 MiB buffer that counts what it took, so that a position costs no
// system call. Any other open, and any file outside a scope, goes to
// OCCT's local file system as before.
#include "cad/glb_output.h"

#include <OSD_FileSystem.hxx>
#include <OSD_LocalFileSystem.hxx>
#include <OSD_StreamBuffer.hxx>

#include <cerrno>
#include <fcntl.h>
#include <mutex>
#include <unistd.h>
#include <vector>

namespace {

thread_local glb_output_scope *active = nullptr;

// A write-only file buffer that knows the file position of its buffer's
// start, so "where am I" is answered without asking the kernel.
class positioned_filebuf : public std::streambuf {
  public:
    explicit positioned_filebuf(int fd) : fd_(fd), buffer_(1u << 20) { reset(); }
    ~positioned_filebuf() override {
        flush_buffer();
        close(fd_);
    }
    positioned_filebuf(const positioned_filebuf &) = delete;
    positioned_filebuf &operator=(const positioned_filebuf &) = delete;

  protected:
    int_type overflow(int_type c) override {
        if (!flush_buffer()) return traits_type::eof();
        if (!traits_type::eq_int_type(c, traits_type::eof())) {
            *pptr() = traits_type::to_char_type(c);
            pbump(1);
        }
        return traits_type::not_eof(c);
    }
    int sync() override { return flush_buffer() ? 0 : -1; }
    pos_type seekoff(off_type off, std::ios_base::seekdir dir, std::ios_base::openmode) override {
        if (dir == std::ios_base::cur && off == 0) return pos_type(at_ + (off_type)(pptr() - pbase()));
        if (!flush_buffer()) return pos_type(off_type(-1));
        off_t to = lseek(fd_, off,
                         dir == std::ios_base::beg   ? SEEK_SET
                         : dir == std::ios_base::cur ? SEEK_CUR
                                                     : SEEK_END);
        if (to < 0) return pos_type(off_type(-1));
        at_ = to;
        return pos_type(to);
    }
    pos_type seekpos(pos_type pos, std::ios_base::openmode which) override {
        return seekoff(off_type(pos), std::ios_base::beg, which);
    }

  private:
    void reset() { setp(buffer_.data(), buffer_.data() + buffer_.size()); }
    // Writes out what the buffer holds; false (and the stream goes bad) on an error.
    bool flush_buffer() {
        const char *p = pbase();
        size_t left = (size_t)(pptr() - pbase());
        while (left > 0) {
            ssize_t n = write(fd_, p, left);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            p += n, left -= (size_t)n, at_ += n;
        }
        reset();
        return true;
    }

    int fd_;
    std::vector<char> buffer_;
    off_t at_ = 0; // the file position of pbase()
};

} // namespace

class positioned_file_system : public OSD_LocalFileSystem {
  public:
    Standard_Boolean IsSupportedPath(const TCollection_AsciiString &url) const override {
        return active != nullptr && OSD_LocalFileSystem::IsSupportedPath(url);
    }
    Standard_Boolean IsOpenOStream(const opencascade::std::shared_ptr<std::ostream> &stream) const override {
        auto *s = dynamic_cast<OSD_OStreamBuffer *>(stream.get());
        return (s && dynamic_cast<positioned_filebuf *>(s->rdbuf())) || OSD_LocalFileSystem::IsOpenOStream(stream);
    }
    opencascade::std::shared_ptr<std::streambuf> OpenStreamBuffer(const TCollection_AsciiString &url,
                                                                  const std::ios_base::openmode mode,
                                                                  const int64_t offset, int64_t *size) override {
        // Only a file written from its start; reads, appends and updates go the usual way.
        if (!active || (mode & (std::ios_base::in | std::ios_base::app | std::ios_base::ate)) || offset != 0)
            return OSD_LocalFileSystem::OpenStreamBuffer(url, mode, offset, size);
        int fd = open(url.ToCString(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (fd < 0) return opencascade::std::shared_ptr<std::streambuf>();
        active->files_++;
        return std::make_shared<positioned_filebuf>(fd);
    }
};

void glb_output_register() {
    static std::once_flag registered;
    std::call_once(registered, [] { OSD_FileSystem::AddDefaultProtocol(new positioned_file_system(), true); });
}

glb_output_scope::glb_output_scope() : outer_(active) { active = this; }

glb_output_scope::~glb_output_scope() { active = outer_; }
