#include "storage/fs/file_media_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>

namespace dothi::storage::fs {
namespace {

bool SafeName(std::string_view name) {
  if (name.empty() || name.size() > 128 || name.find("..") != std::string_view::npos) return false;
  for (char c : name) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '.' || c == '-')) return false;
  }
  return true;
}

Status Errno(std::string_view what, const std::string& path) {
  return Status::Unavailable(std::string(what), path + ": " + std::strerror(errno));
}

Status FsyncPath(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) return Errno("cannot open for fsync", path);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno("fsync failed", path);
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<FileMediaStore>> FileMediaStore::Open(std::string directory) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) return Status::Unavailable("cannot create the media directory", directory + ": " + ec.message());
  return std::unique_ptr<FileMediaStore>(new FileMediaStore(std::move(directory)));
}

Status FileMediaStore::Put(std::string_view name, std::string_view bytes) {
  if (!SafeName(name)) return Status::InvalidRequest("bad media name", name);
  const std::string path = dir_ + "/" + std::string(name);
  std::random_device rd;
  const std::string tmp = path + ".tmp" + std::to_string(rd());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create media file", tmp);
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = Errno("cannot write media file", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Status s = Errno("fsync failed", tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = Errno("cannot rename media file", path);
    ::unlink(tmp.c_str());
    return s;
  }
  return FsyncPath(dir_, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

Result<std::optional<std::string>> FileMediaStore::Get(std::string_view name) const {
  if (!SafeName(name)) return std::optional<std::string>();
  std::ifstream in(dir_ + "/" + std::string(name), std::ios::binary);
  if (!in) return std::optional<std::string>();
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return Status::Unavailable("cannot read media file", name);
  return std::optional<std::string>(out.str());
}

Status FileMediaStore::Delete(std::string_view name) {
  if (!SafeName(name)) return Status::InvalidRequest("bad media name", name);
  const std::string path = dir_ + "/" + std::string(name);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("cannot delete media file", path);
  return Status::OK();
}

}  // namespace dothi::storage::fs
