#pragma once

#include <memory>
#include <string>

#include "storage/media_store.h"

// MediaStore as files in one directory (<data-dir>/media): each Put writes a temporary
// file, fsyncs it, renames it into place and fsyncs the directory, so a file is either
// whole or absent after a crash. Names must be [0-9a-z.-]+ without "..".
namespace dothi::storage::fs {

class FileMediaStore final : public MediaStore {
 public:
  // Creates the directory when missing. Errors: Unavailable.
  static Result<std::unique_ptr<FileMediaStore>> Open(std::string directory);

  Status Put(std::string_view name, std::string_view bytes) override;
  Result<std::optional<std::string>> Get(std::string_view name) const override;
  Status Delete(std::string_view name) override;

 private:
  explicit FileMediaStore(std::string directory) : dir_(std::move(directory)) {}
  std::string dir_;
};

}  // namespace dothi::storage::fs
