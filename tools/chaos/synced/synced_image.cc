#include "synced_image.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace regent::chaos::synced {
namespace {

namespace fs = std::filesystem;

Expected<uint64_t, std::string> inode_of(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return unexpected(path + ": " + std::strerror(errno));
  return static_cast<uint64_t>(st.st_ino);
}

Expected<void, std::string> copy_file_sparse(const std::string& from, const std::string& to) {
  ScopedFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.fd < 0) return unexpected(from + ": " + std::strerror(errno));
  struct stat st;
  if (::fstat(in.fd, &st) != 0) return unexpected(from + ": " + std::strerror(errno));
  ScopedFd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (out.fd < 0) return unexpected(to + ": " + std::strerror(errno));
  if (int e = copy_sparse(in.fd, out.fd, static_cast<uint64_t>(st.st_size)); e != 0) {
    return unexpected("copy " + from + " to " + to + ": " + std::strerror(e));
  }
  return {};
}

// Every directory under `dir` (itself included) and every regular file, recorded as synced.
Expected<void, std::string> seed_dir(const std::string& dir, const std::string& image_dir) {
  auto ino = inode_of(dir);
  if (!ino) return unexpected(ino.error());
  std::string listing;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string path = e.path().string();
    auto child = inode_of(path);
    if (!child) return unexpected(child.error());
    const std::string name = e.path().filename().string();
    if (e.is_directory(ec) && !e.is_symlink(ec)) {
      if (auto r = seed_dir(path, image_dir); !r) return r;
      listing += "d " + std::to_string(*child) + " " + name + "\n";
    } else if (e.is_regular_file(ec) && !e.is_symlink(ec)) {
      if (auto r = copy_file_sparse(path, file_entry(image_dir, *child)); !r) return r;
      listing += "f " + std::to_string(*child) + " " + name + "\n";
    }
  }
  if (ec) return unexpected(dir + ": " + ec.message());
  std::ofstream(dir_entry(image_dir, *ino)) << listing;
  return {};
}

// `dir` made as the image's directory `ino` says, recursively.
Expected<void, std::string> restore_dir(const std::string& image_dir, uint64_t ino,
                                        const std::string& dir, int depth) {
  // The storage layer nests a few levels; a loop in a corrupt image must not recurse forever.
  if (depth > 32) return unexpected(std::string("the image nests deeper than 32 directories"));
  std::error_code ec;
  fs::create_directory(dir, ec);
  if (ec) return unexpected(dir + ": " + ec.message());
  std::ifstream in(dir_entry(image_dir, ino));
  std::string line;
  // One line per entry of a directory listing the image wrote.
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    char kind = 0;
    uint64_t child = 0;
    fields >> kind >> child;
    std::string name;
    std::getline(fields, name);
    if (!name.empty() && name.front() == ' ') name.erase(0, 1);
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
      return unexpected("a malformed line in " + dir_entry(image_dir, ino) + ": " + line);
    }
    const std::string path = dir + "/" + name;
    if (kind == 'd') {
      if (auto r = restore_dir(image_dir, child, path, depth + 1); !r) return r;
      continue;
    }
    const std::string bytes = file_entry(image_dir, child);
    if (fs::exists(bytes, ec)) {
      if (auto r = copy_file_sparse(bytes, path); !r) return r;
    } else {
      std::ofstream{path};  // Named in a synced directory, but its data never synced.
    }
  }
  return {};
}

}  // namespace

Expected<void, std::string> seed(const std::string& data_dir, const std::string& image_dir) {
  std::error_code ec;
  fs::remove_all(image_dir, ec);
  fs::create_directories(image_dir, ec);
  if (ec) return unexpected(image_dir + ": " + ec.message());
  fs::create_directories(data_dir, ec);
  if (ec) return unexpected(data_dir + ": " + ec.message());
  auto root = inode_of(data_dir);
  if (!root) return unexpected(root.error());
  if (auto r = seed_dir(data_dir, image_dir); !r) return r;
  std::ofstream(root_entry(image_dir)) << *root << "\n";
  return {};
}

Expected<void, std::string> restore(const std::string& image_dir, const std::string& data_dir) {
  uint64_t root = 0;
  if (!(std::ifstream(root_entry(image_dir)) >> root)) {
    return unexpected("no image in " + image_dir + " (never seeded)");
  }
  std::error_code ec;
  fs::remove_all(data_dir, ec);
  if (ec) return unexpected(data_dir + ": " + ec.message());
  return restore_dir(image_dir, root, data_dir, 0);
}

bool observed(const std::string& image_dir) {
  std::error_code ec;
  return fs::exists(observed_entry(image_dir), ec);
}

}  // namespace regent::chaos::synced
