// kpg as a new user meets it on a machine without a GPU, given bad input: the built binary
// in a child process. Nothing outside kpg's own files is deleted or replaced, every bad
// input is named with exit 2 before anything touches a GPU, and no message is a library's.
// (KPG_TEST_KPG=/path/to/kpg runs these against another build of kpg.)

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "cli_test_support.hpp"
#include "tuner/tuning_cache.hpp"

namespace fs = std::filesystem;

namespace kpg {
namespace {

using test::Child;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string kpg_binary() {
  const char* other = std::getenv("KPG_TEST_KPG");
  return other && *other ? other : KPG_TEST_KPG_BINARY;
}

// Texts that give away a library's exception or an internal code instead of saying what happened.
const char* const kLibraryTexts[] = {"json.exception", "basic_filebuf", "filesystem error:", "failed with 34",
                                     "std::", "what():", "179769313486231570"};

class ReliabilityTest : public ::testing::Test {
 protected:
  ReliabilityTest() { ::chmod(dir_.path().c_str(), 0755); }

  struct Run {
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    std::vector<std::string> unset;  // variables removed from the environment
    fs::path cwd;                    // default: the scratch folder
    bool as_nobody = false;          // as uid 65534 (when the tests run as root)
  };

  // Runs kpg to the end; returns its exit status, stdout and stderr in `out`.
  int kpg(const Run& run) {
    std::vector<std::string> argv{"/bin/sh", "-c", "cd \"$0\" && exec \"$@\"",
                                  (run.cwd.empty() ? dir_.path() : run.cwd).string()};
    if (run.as_nobody) argv.insert(argv.end(), {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
    argv.push_back("/usr/bin/env");
    for (const auto& name : run.unset) argv.insert(argv.end(), {"-u", name});
    argv.push_back(kpg_binary());
    argv.insert(argv.end(), run.args.begin(), run.args.end());
    std::map<std::string, std::string> env{{"KPG_CACHE_DIR", cache().string()},
                                           {"KPG_DRIVER_LIBRARY", "/nonexistent/libcuda.so.1"},
                                           {"KPG_LOG", "warn"}};
    for (const auto& [k, v] : run.env) env[k] = v;
    Child child(argv, env);
    const int status = child.finish();
    out = child.output();
    for (const char* text : kLibraryTexts) EXPECT_FALSE(has(out, text)) << "'" << text << "' in:\n" << out;
    return status;
  }
  int kpg(std::vector<std::string> args) { return kpg(Run{std::move(args), {}, {}, {}, false}); }

  fs::path cache() const { return dir_.path() / "cache"; }

  // The small op of the watch tests (copy.yaml, copy.cu, two headers) with `edit` applied to the YAML.
  fs::path copy_op(const std::string& from, const std::string& to) {
    const auto op = test::write_copy_op(dir_.path() / "op");
    std::string yaml = test::kCopyYaml;
    if (!from.empty()) {
      const size_t at = yaml.find(from);
      EXPECT_NE(at, std::string::npos) << from;
      yaml.replace(at, from.size(), to);
    }
    test::write_in_place(op.config, yaml);
    return op.config;
  }

  // 1-based line and column of `text` in the file.
  static std::string line_col(const fs::path& file, const std::string& text) {
    const std::string content = testing::read_text(file);
    const size_t at = content.find(text);
    const size_t line_start = content.rfind('\n', at) + 1;
    const auto line = 1 + std::count(content.begin(), content.begin() + static_cast<std::ptrdiff_t>(at), '\n');
    return std::to_string(line) + ":" + std::to_string(at - line_start + 1);
  }

  testing::TempDir dir_;
  std::string out;
};

// --- never delete or replace what is not kpg's ------------------------------------------

TEST_F(ReliabilityTest, CacheClearNeverDeletesOutsideTheCache) {
  const fs::path precious = dir_.write("victim/precious.txt", "the user's work");
  const fs::path precious2 = dir_.write("victim2/precious.txt", "more of it");
  fs::create_directories(cache() / "tuning");

  EXPECT_EQ(kpg({"cache", "clear", (dir_.path() / "victim").string()}), 2) << out;
  EXPECT_TRUE(has(out, "is not an op name")) << out;
  EXPECT_EQ(kpg({"cache", "clear", "../../victim2"}), 2) << out;
  EXPECT_EQ(kpg({"cache", "clear", ".."}), 2) << out;
  EXPECT_EQ(kpg({"cache", "clear", "softmax"}), 2) << out;
  EXPECT_TRUE(has(out, "holds no records of op 'softmax'")) << out;

  // A symlink in the cache that leads out of it is not followed.
  fs::create_directory_symlink(dir_.path() / "victim", cache() / "tuning" / "evil");
  EXPECT_EQ(kpg({"cache", "clear"}), 0) << out;
  EXPECT_EQ(kpg({"cache", "clear", "evil", "--cubins"}), 2) << out;
  EXPECT_TRUE(fs::exists(precious));
  EXPECT_TRUE(fs::exists(precious2));
}

TEST_F(ReliabilityTest, CacheClearOfAHeldOpRemovesItsRecordsOnly) {
  CacheKey key;
  key.op = "copy";
  key.variant = "tuned";
  key.shape_key = "N=4096,dtype=f32";
  TuneRecord record;
  record.candidate_id = "tuned:THREADS=128";
  record.ok = true;
  TuningCache(cache()).append(key, record);
  const fs::path notes = dir_.write("cache/tuning/copy/notes.txt", "a file kpg did not write");
  const fs::path cubin_notes = dir_.write("cache/cubin/notes.txt", "nor this one");
  EXPECT_EQ(kpg({"cache", "clear", "copy", "--cubins"}), 0) << out;
  EXPECT_TRUE(has(out, "removed 1 tuning-cache files of op copy")) << out;
  EXPECT_TRUE(TuningCache(cache()).list("copy").empty());
  EXPECT_TRUE(fs::exists(notes));
  EXPECT_TRUE(fs::exists(cubin_notes));
}

TEST_F(ReliabilityTest, CompileWritesRegularFilesOnlyAndFollowsSymlinks) {
  const auto compile_to = [&](const fs::path& output) { return kpg({"compile", "examples/vector_add.cu", "-o", output.string()}); };
  const fs::path fifo = dir_.path() / "out.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  EXPECT_EQ(compile_to(fifo), 2) << out;
  EXPECT_TRUE(has(out, "cannot write " + fifo.string() + ": it is a FIFO (named pipe); kpg writes regular files only")) << out;
  EXPECT_TRUE(fs::is_fifo(fifo));

  const fs::path folder = dir_.path() / "out.d";
  fs::create_directory(folder);
  EXPECT_EQ(compile_to(folder), 2) << out;
  EXPECT_TRUE(has(out, "it is a folder")) << out;
  EXPECT_TRUE(fs::is_directory(folder));

  if (::geteuid() == 0) {  // a device node where the output goes: /dev/full's numbers, in the scratch folder
    const fs::path device = dir_.path() / "full";
    ASSERT_EQ(::mknod(device.c_str(), S_IFCHR | 0666, makedev(1, 7)), 0);
    EXPECT_EQ(compile_to(device), 2) << out;
    EXPECT_TRUE(has(out, "it is a character device")) << out;
    EXPECT_TRUE(fs::is_character_file(device));
  }

  const fs::path target = dir_.write("real.cubin", "old");
  const fs::path link = dir_.path() / "link.cubin";
  fs::create_symlink(target, link);
  EXPECT_EQ(compile_to(link), 0) << out;
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(testing::read_text(target).substr(0, 4), "\x7f" "ELF");

  const fs::path dangling = dir_.path() / "dangling.cubin";
  fs::create_symlink(dir_.path() / "nowhere" / "x.cubin", dangling);
  EXPECT_EQ(compile_to(dangling), 2) << out;
  EXPECT_TRUE(fs::is_symlink(dangling));

  for (const auto& e : fs::directory_iterator(dir_.path()))
    EXPECT_FALSE(has(e.path().filename().string(), "tmp")) << "left behind: " << e.path();
}

TEST_F(ReliabilityTest, CompileDashOIsStandardOutput) {
  const fs::path image = dir_.path() / "image.bin";
  std::vector<std::string> argv{"/bin/sh", "-c", "cd \"$1\" && \"$2\" compile examples/vector_add.cu -o - > \"$3\"",
                                "sh", dir_.path().string(), kpg_binary(), image.string()};
  Child child(argv, {{"KPG_CACHE_DIR", cache().string()}, {"KPG_DRIVER_LIBRARY", "/nonexistent"}});
  EXPECT_EQ(child.finish(), 0) << child.output();
  EXPECT_EQ(testing::read_text(image).substr(0, 4), "\x7f" "ELF") << "only the image is on standard output";
  EXPECT_TRUE(has(child.output(), "wrote the image to standard output")) << child.output();
  EXPECT_FALSE(fs::exists(dir_.path() / "-"));
}

// A full disk (a 4 KiB tmpfs, smaller than the cubin) says so and leaves no temp file.
TEST_F(ReliabilityTest, AFullDiskSaysNoSpaceAndLeavesNothing) {
  const fs::path small = dir_.path() / "small";
  fs::create_directory(small);
  const std::string script = "mount -t tmpfs -o size=4k tmpfs \"$1\" 2>/dev/null || exit 77; cd \"$2\"; "
                             "\"$3\" compile examples/vector_add.cu -o \"$1/x.cubin\"; echo \"exit=$?\"; "
                             "echo \"left:[$(ls -A \"$1\")]\"";
  Child child({"/usr/bin/unshare", "-m", "/bin/sh", "-c", script, "sh", small.string(), dir_.path().string(), kpg_binary()},
              {{"KPG_CACHE_DIR", cache().string()}, {"KPG_DRIVER_LIBRARY", "/nonexistent"}});
  const int status = child.finish();
  if (status == 77 || status == 1) GTEST_SKIP() << "no tmpfs can be mounted here: " << child.output();
  EXPECT_TRUE(has(child.output(), "cannot write " + (small / "x.cubin").string() + ": No space left on device"))
      << child.output();
  EXPECT_TRUE(has(child.output(), "exit=2")) << child.output();
  EXPECT_TRUE(has(child.output(), "left:[]")) << "nothing half-written: " << child.output();
}

TEST_F(ReliabilityTest, OutputFoldersAndFilesAreCheckedBeforeAnyGpuWork) {
  const fs::path file = dir_.write("a-file", "x");
  EXPECT_EQ(kpg({"tutorial", "memory-analysis", "--theory", "--results", (file / "sub").string()}), 2) << out;
  EXPECT_TRUE(has(out, file.string() + " is a file, not a folder")) << out;
  EXPECT_EQ(kpg({"run", "softmax", "--save-io", (file / "io").string()}), 2) << out;
  EXPECT_TRUE(has(out, file.string() + " is a file, not a folder")) << out;
  const fs::path fifo = dir_.path() / "report.html";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  EXPECT_EQ(kpg({"tune", "softmax", "--html", fifo.string()}), 2) << out;
  EXPECT_TRUE(has(out, "FIFO")) << out;
  EXPECT_FALSE(has(out, "CUDA driver")) << out;
}

// --- entry points and the cubin cache -----------------------------------------------------

TEST_F(ReliabilityTest, ALaunchOfAKernelTheSourceLacksFailsWithoutAGpu) {
  const fs::path config = copy_op("kernel: copy_tuned", "kernel: copy_tunned");
  const std::string where = config.string() + ":" + line_col(config, "copy_tunned") + ": variants.tuned";
  EXPECT_EQ(kpg({"watch", config.string(), "--once"}), 2) << out;
  EXPECT_TRUE(has(out, where)) << out;
  EXPECT_TRUE(has(out, "no kernel named 'copy_tunned'")) << out;
  EXPECT_EQ(kpg({"--configs-dir", config.parent_path().string(), "compile", "--all"}), 2) << out;
  EXPECT_TRUE(has(out, where)) << out;
}

// --- flags ------------------------------------------------------------------------------

struct BadFlag {
  std::vector<std::string> args;
  std::string says;
};

TEST_F(ReliabilityTest, BadFlagsAreNamedWithExit2BeforeAnyGpuIsNeeded) {
  const std::vector<BadFlag> cases = {
      {{"tune", "softmax", "--shape", "M=0,N=5"}, "M: must be >= 1"},
      {{"run", "softmax", "--shape", "M=0,N=5"}, "M: must be >= 1"},
      {{"tune", "softmax", "--variant", "nope"}, "no variant 'nope'"},
      {{"run", "softmax", "--variant", "nope"}, "no variant 'nope'"},
      {{"run", "softmax", "--params", "FOO=1"}, "--params FOO: no space"},
      {{"run", "softmax", "--space", "nope"}, "--space 'nope'"},
      {{"tune", "softmax", "--devices", "foo"}, "--devices 'foo': 'foo' is not a GPU ordinal"},
      {{"tune", "softmax", "--devices", "0,-1"}, "'-1' is not a GPU ordinal"},
      {{"run", "softmax", "--params", "THREADS=128abc"}, "'128abc' is not an integer"},
      {{"run", "softmax", "--params", "THREADS=1=2"}, "'1=2' is not an integer"},
      {{"run", "softmax", "--params", "=5"}, "the name before '=' is missing"},
      {{"run", "softmax", "--params", "THREADS=1,THREADS=2"}, "THREADS is given twice"},
      {{"run", "softmax", "--params", "THREADS=1,,VEC=2"}, "an empty entry"},
      {{"run", "softmax", "--params", ""}, "--params '': empty"},
      {{"run", "softmax", "--shape", ""}, "--shape: empty"},
      {{"run", "softmax", "--shape", "=,,=="}, "'=' has no dim name before '='"},
      {{"run", "softmax", "--shape", "M=1,M=2,N=3"}, "given twice"},
      {{"run", "softmax", "--all-spaces", "--space", "warp"}, "--all-spaces"},
      {{"tune", "softmax", "--watchdog", "0"}, "expected seconds above 0 and at most 86400"},
      {{"tune", "softmax", "--watchdog", "-1"}, "expected seconds above 0"},
      {{"tune", "softmax", "--watchdog", "inf"}, "expected seconds above 0"},
      {{"tune", "softmax", "--watchdog", "nan"}, "expected seconds above 0"},
      {{"run", "softmax", "--watchdog", "nan"}, "expected seconds above 0"},
      {{"run", "softmax", "--watchdog", "1e400"}, "expected seconds above 0"},
      {{"tutorial", "softmax", "--dtype", "f64"}, "--dtype"},
      {{"tutorial", "softmax", "--shape", "M=0,N=5"}, "M: must be >= 1"},
  };
  for (const auto& c : cases) {
    std::string line = "kpg";
    for (const auto& a : c.args) line += " '" + a + "'";
    EXPECT_EQ(kpg(c.args), 2) << line << "\n" << out;
    EXPECT_TRUE(has(out, c.says)) << line << "\n" << out;
    EXPECT_FALSE(has(out, "CUDA driver")) << line << "\n" << out;
  }
}

TEST_F(ReliabilityTest, AnUnknownCommandIsNamed) {
  EXPECT_EQ(kpg({"frobnicate"}), 2) << out;
  EXPECT_TRUE(has(out, "kpg: error: unknown command 'frobnicate' (commands: doctor, compile, tune")) << out;
  EXPECT_EQ(kpg({"-v", "cache", "frob"}), 2) << out;
  EXPECT_TRUE(has(out, "kpg: error: unknown command 'frob' of kpg cache (commands: list, show, clear")) << out;
}

TEST_F(ReliabilityTest, WhenEveryCandidateIsPrunedTheReasonsAreNamed) {
  struct Case {
    std::string constraint, says;
  };
  const std::vector<Case> cases = {
      {"{le: [N, 64]}", "all 3 candidates were pruned: 3 by constraint {le: [N, 64]} (copy.yaml:"},
      {"{eq: [{mod: [N, {sub: [THREADS, THREADS]}]}, 0]}", "division by zero in mod"},
      {"{lt: [{mul: [N, N, N, N, N, N]}, 1]}", "overflow in mul"},
  };
  for (const auto& c : cases) {
    const fs::path config = copy_op("    default: {THREADS: 128}\n",
                                    "    default: {THREADS: 128}\n    constraints:\n      - " + c.constraint + "\n");
    EXPECT_EQ(kpg({"watch", config.string(), "--once", "--variant", "tuned"}), 2) << out;
    EXPECT_TRUE(has(out, "no configuration passes the constraints at N=4096,dtype=f32: ")) << out;
    EXPECT_TRUE(has(out, c.says)) << out;
  }
}

// --- files kpg reads, the cache folder, the driver ---------------------------------------

TEST_F(ReliabilityTest, FilesThatCannotBeReadSayWhy) {
  fs::create_directories(dir_.path() / "k.cu");
  EXPECT_EQ(kpg({"compile", "k.cu"}), 2) << out;
  EXPECT_TRUE(has(out, "cannot read kernel file k.cu: it is a folder, not a file")) << out;
  fs::create_directories(dir_.path() / "op.yaml");
  EXPECT_EQ(kpg({"tune", "op.yaml"}), 2) << out;
  EXPECT_TRUE(has(out, "op.yaml: cannot read the config file: it is a folder, not a file")) << out;
  EXPECT_EQ(kpg({"--configs-dir", (dir_.path() / "nowhere").string(), "tune", "softmax"}), 2) << out;
  EXPECT_TRUE(has(out, "cannot list the configs folder")) << out;

  // A folder this user cannot enter: "Permission denied", not "not found".
  dir_.write("locked/k.cu", "extern \"C\" __global__ void k() {}\n");
  ::chmod((dir_.path() / "locked").c_str(), 0700);
  fs::create_directories(cache());
  ::chmod(cache().c_str(), 0777);
  const bool root = ::geteuid() == 0;
  if (root) ::chown((dir_.path() / "locked").c_str(), 0, 0);
  else ::chmod((dir_.path() / "locked").c_str(), 0);
  EXPECT_EQ(kpg(Run{{"compile", "locked/k.cu"}, {}, {}, {}, root}), 2) << out;
  EXPECT_TRUE(has(out, "cannot read kernel file locked/k.cu: Permission denied")) << out;
  ::chmod((dir_.path() / "locked").c_str(), 0700);
}

TEST_F(ReliabilityTest, WithoutHomeTheCacheIsAPrivateFolder) {
  const Run run{{"compile", "examples/vector_add.cu"}, {{"TMPDIR", dir_.path().string()}},
                {"HOME", "XDG_CACHE_HOME", "KPG_CACHE_DIR"}, {}, false};
  EXPECT_EQ(kpg(run), 0) << out;
  const fs::path private_dir = dir_.path() / ("kpg-cache-" + std::to_string(::geteuid()));
  struct stat st {};
  ASSERT_EQ(::lstat(private_dir.c_str(), &st), 0) << out;
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(fs::is_directory(private_dir / "cubin"));
  EXPECT_FALSE(fs::exists(dir_.path() / "kpg-cache")) << "no shared folder";

  ::chmod(private_dir.c_str(), 0777);
  EXPECT_EQ(kpg(run), 2) << out;
  EXPECT_TRUE(has(out, "can be written by other users; set KPG_CACHE_DIR")) << out;
}

TEST_F(ReliabilityTest, TheCudaStubLibraryIsNamedNotNumbered) {
  fs::path stub;
  for (const char* candidate : {"/usr/local/cuda/lib64/stubs/libcuda.so", "/usr/local/cuda/targets/x86_64-linux/lib/stubs/libcuda.so"})
    if (fs::exists(candidate)) stub = candidate;
  if (stub.empty()) GTEST_SKIP() << "no CUDA stub library here";
  EXPECT_EQ(kpg(Run{{"tune", "softmax"}, {{"KPG_DRIVER_LIBRARY", stub.string()}}, {}, {}, false}), 1) << out;
  EXPECT_TRUE(has(out, "is the CUDA toolkit's stub library, not the NVIDIA driver")) << out;
  EXPECT_EQ(kpg(Run{{"doctor"}, {{"KPG_DRIVER_LIBRARY", stub.string()}}, {}, {}, false}), 0) << out;
  EXPECT_TRUE(has(out, "stub library")) << out;
}

TEST_F(ReliabilityTest, DamagedCacheFilesAreReportedInPlainWords) {
  dir_.write("cache/tuning/copy/tuned-0123456789abcdef.json", "{not json");
  EXPECT_EQ(kpg({"cache", "list"}), 0) << out;
  EXPECT_TRUE(has(out, "is damaged (")) << out;
  EXPECT_TRUE(has(out, "parse error")) << out;

  EXPECT_EQ(kpg({"compile", "examples/vector_add.cu"}), 0) << out;
  for (const auto& e : fs::directory_iterator(cache() / "cubin")) {  // a folder where the entry belongs
    fs::remove(e.path());
    fs::create_directory(e.path());
  }
  EXPECT_EQ(kpg({"compile", "examples/vector_add.cu"}), 0) << out;
  EXPECT_TRUE(has(out, "cache miss")) << out;
}

}  // namespace
}  // namespace kpg
