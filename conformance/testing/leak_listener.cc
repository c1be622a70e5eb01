// conformance/testing/leak_listener.cc — IPC snapshots, leak detection,
// namespace detection and the fork recorder.
#include "conformance/testing/leak_listener.h"

#include <dirent.h>
#include <ftw.h>
#include <pthread.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "conformance/process.h"
#include "ipc/testing/test_util.h"

namespace conformance::testing {
namespace {

// PROC_IPC_INIT_INO in the kernel's include/linux/proc_ns.h.
constexpr ino_t kInitialIpcNamespace = 0xEFFFFFFFU;

const char* kind_name(SysvObject::Kind k) {
  switch (k) {
    case SysvObject::Kind::kMsg:
      return "System V message queue";
    case SysvObject::Kind::kShm:
      return "System V shared memory segment";
    case SysvObject::Kind::kSem:
      return "System V semaphore set";
  }
  return "?";
}

std::string read_file(const std::string& path, bool* ok = nullptr) {
  std::ifstream in(path);
  if (ok != nullptr) *ok = static_cast<bool>(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

union SemArg {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
};

// Pids of the last semop on each semaphore of set `id` (0s are dropped).
std::vector<long> sem_pids(long id) {
  std::vector<long> pids;
  struct semid_ds ds;
  SemArg arg;
  arg.buf = &ds;
  if (::semctl(static_cast<int>(id), 0, IPC_STAT, arg) != 0) return pids;
  for (unsigned long i = 0; i < ds.sem_nsems; ++i) {
    int pid = ::semctl(static_cast<int>(id), static_cast<int>(i), GETPID);
    if (pid > 0) pids.push_back(pid);
  }
  return pids;
}

// ---- fork recorder ---------------------------------------------------------

constexpr std::size_t kMaxRecordedPids = 16000;

struct PidLog {
  std::atomic<unsigned> count;
  std::atomic<pid_t> pids[kMaxRecordedPids];
};

PidLog* g_pid_log = nullptr;

void record_forked_child() {
  // Runs in the child right after fork(): async-signal-safe calls only.
  if (g_pid_log == nullptr) return;
  unsigned i = g_pid_log->count.fetch_add(1, std::memory_order_relaxed);
  if (i < kMaxRecordedPids)
    g_pid_log->pids[i].store(::getpid(), std::memory_order_relaxed);
}

// ---- /proc scan for namespace detection ------------------------------------

struct ProcInfo {
  pid_t ppid = 0;
  ino_t ipc_ns = 0;  // 0 = unreadable
  std::string comm;
};

std::map<pid_t, ProcInfo> scan_processes() {
  std::map<pid_t, ProcInfo> procs;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return procs;
  while (struct dirent* e = ::readdir(d)) {
    char* end;
    long pid = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    bool ok;
    std::string stat =
        read_file("/proc/" + std::string(e->d_name) + "/stat", &ok);
    auto close = stat.rfind(')');
    auto open = stat.find('(');
    if (!ok || close == std::string::npos || open == std::string::npos)
      continue;  // gone
    ProcInfo info;
    info.comm = stat.substr(open + 1, close - open - 1);
    std::vector<std::string> rest = words(stat.substr(close + 1));
    if (rest.size() < 2) continue;
    info.ppid = static_cast<pid_t>(std::atol(rest[1].c_str()));
    // A zombie (or a process exiting right now) has no namespaces any more
    // and can create nothing: it does not count.
    if (rest[0] == "Z" || rest[0] == "X") continue;
    struct stat st;
    std::string ns = "/proc/" + std::string(e->d_name) + "/ns/ipc";
    if (::stat(ns.c_str(), &st) == 0) {
      info.ipc_ns = st.st_ino;
    } else if (errno == ENOENT) {
      continue;  // exited between the two reads
    }
    procs[static_cast<pid_t>(pid)] = info;
  }
  ::closedir(d);
  return procs;
}

bool descends_from(const std::map<pid_t, ProcInfo>& procs, pid_t pid,
                   pid_t root) {
  for (int depth = 0; depth < 4096; ++depth) {
    if (pid == root) return true;
    auto it = procs.find(pid);
    if (it == procs.end() || it->second.ppid == 0) return false;
    pid = it->second.ppid;
  }
  return false;
}

// ---- FIFO scan -------------------------------------------------------------

thread_local std::set<std::string>* t_fifos = nullptr;

int collect_fifo(const char* path, const struct stat* st, int type,
                 struct FTW*) {
  if (type == FTW_F && S_ISFIFO(st->st_mode)) t_fifos->insert(path);
  return 0;
}

bool has_prefix(const std::string& name, const std::string& prefix) {
  // "ipct-<pid>-<random>-..." (UniqueName), also as "sem.ipct-..." (sem_open).
  if (prefix.empty()) return false;
  return name.rfind(prefix, 0) == 0 || name.rfind("sem." + prefix, 0) == 0;
}

}  // namespace

std::string SysvObject::describe() const {
  char key_hex[16];
  std::snprintf(key_hex, sizeof key_hex, "0x%08lx",
                static_cast<unsigned long>(key) & 0xffffffffUL);
  std::string s = std::string(kind_name(kind)) + " " +
                  (kind == Kind::kMsg   ? "msqid"
                   : kind == Kind::kShm ? "shmid"
                                        : "semid") +
                  "=" + std::to_string(id) + " key=" + key_hex;
  static const char* const kMsgPids[] = {"lspid", "lrpid"};
  static const char* const kShmPids[] = {"cpid", "lpid"};
  if (!pids.empty()) {
    s += " (";
    for (std::size_t i = 0; i < pids.size(); ++i) {
      const char* label = kind == Kind::kMsg && i < 2   ? kMsgPids[i]
                          : kind == Kind::kShm && i < 2 ? kShmPids[i]
                                                        : "sempid";
      s += (i > 0 ? ", " : "") + std::string(label) + "=" +
           std::to_string(pids[i]);
    }
    s += ")";
  }
  return s;
}

ipc::Result<std::vector<SysvObject>> parse_sysvipc(SysvObject::Kind kind,
                                                   std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string line;
  if (!std::getline(in, line))
    return ipc::Error(EINVAL, "parse_sysvipc", "", "no header line");
  std::vector<std::string> header = words(line);
  auto column = [&](const char* name) -> int {
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return static_cast<int>(i);
    }
    return -1;
  };
  const char* id_name = kind == SysvObject::Kind::kMsg   ? "msqid"
                        : kind == SysvObject::Kind::kShm ? "shmid"
                                                         : "semid";
  int id_col = column(id_name), key_col = column("key");
  std::vector<int> pid_cols;
  if (kind == SysvObject::Kind::kMsg)
    pid_cols = {column("lspid"), column("lrpid")};
  if (kind == SysvObject::Kind::kShm)
    pid_cols = {column("cpid"), column("lpid")};
  if (id_col < 0 || key_col < 0) {
    return ipc::Error(EINVAL, "parse_sysvipc", "",
                      std::string("header lacks key or ") + id_name);
  }
  for (int c : pid_cols) {
    if (c < 0)
      return ipc::Error(EINVAL, "parse_sysvipc", "",
                        "header lacks a pid column");
  }
  std::vector<SysvObject> out;
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    std::vector<std::string> w = words(line);
    if (w.empty()) continue;
    if (w.size() < header.size()) {
      return ipc::Error(EINVAL, "parse_sysvipc",
                        "line " + std::to_string(line_no),
                        "fewer columns than the header");
    }
    SysvObject o;
    o.kind = kind;
    o.id = std::atol(w[id_col].c_str());
    o.key = std::atol(w[key_col].c_str());
    for (int c : pid_cols) o.pids.push_back(std::atol(w[c].c_str()));
    out.push_back(std::move(o));
  }
  return out;
}

bool ipc_namespace_is_private(std::string* why) {
  ino_t mine = namespace_inode("ipc");
  if (mine == 0) {
    *why = "cannot read /proc/self/ns/ipc";
    return false;
  }
  if (mine == kInitialIpcNamespace) {
    *why = "the initial IPC namespace";
    return false;
  }
  std::map<pid_t, ProcInfo> procs = scan_processes();
  // The creator: our highest ancestor that is still in our namespace.
  pid_t root = ::getpid();
  for (;;) {
    auto it = procs.find(root);
    if (it == procs.end()) {
      *why = "pid " + std::to_string(root) + " is not visible in /proc";
      return false;
    }
    pid_t parent = it->second.ppid;
    if (parent == 0) break;  // top of a PID namespace
    auto p = procs.find(parent);
    if (p == procs.end() || p->second.ipc_ns == 0) {
      *why = "cannot see the IPC namespace of pid " + std::to_string(parent);
      return false;
    }
    if (p->second.ipc_ns != mine) break;
    root = parent;
  }
  for (const auto& [pid, info] : procs) {
    if (info.ipc_ns != mine && info.ipc_ns != 0) continue;
    if (!descends_from(procs, pid, root)) {
      *why = "pid " + std::to_string(pid) + " (" + info.comm + ") " +
             (info.ipc_ns == 0 ? "may share it" : "shares it");
      return false;
    }
  }
  *why = "IPC namespace " + std::to_string(mine) + " created for pid " +
         std::to_string(root);
  return true;
}

LeakRules detect_rules(const std::string& fifo_root) {
  LeakRules r;
  r.fifo_root = fifo_root;
  const char* mode = std::getenv("IPCT_LEAK_CHECK");
  std::string m = mode != nullptr ? mode : "auto";
  if (m == "off") {
    r.enabled = false;
    r.description = "off (IPCT_LEAK_CHECK=off)";
    return r;
  }
  std::string why;
  bool priv = ipc_namespace_is_private(&why);
  if (m == "attributable") {
    priv = false;
    why = "IPCT_LEAK_CHECK=attributable";
  }
  r.all_sysv = priv;
  const char* dev_shm = std::getenv("IPCT_PRIVATE_DEV_SHM");
  r.all_dev_shm = dev_shm != nullptr && m != "attributable" &&
                  std::strtoul(dev_shm, nullptr, 10) == namespace_inode("mnt");
  r.dev_shm_prefix = ipc::testing::UniqueNamePrefix();
  r.description =
      std::string("System V: ") +
      (r.all_sysv ? "every new object" : "objects attributable to our pids") +
      " (" + why + "); /dev/shm: " +
      (r.all_dev_shm ? "every new name (private tmpfs)"
                     : r.dev_shm_prefix + "* names") +
      "; FIFOs under " + (fifo_root.empty() ? "(none)" : fifo_root);
  return r;
}

Snapshot take_snapshot(const LeakRules& rules) {
  Snapshot s;
  if (!rules.enabled) return s;
  static const std::pair<SysvObject::Kind, const char*> kTables[] = {
      {SysvObject::Kind::kMsg, "/proc/sysvipc/msg"},
      {SysvObject::Kind::kShm, "/proc/sysvipc/shm"},
      {SysvObject::Kind::kSem, "/proc/sysvipc/sem"},
  };
  for (const auto& [kind, path] : kTables) {
    bool ok;
    std::string text = read_file(path, &ok);
    if (!ok) continue;  // no System V IPC in this kernel
    auto objs = parse_sysvipc(kind, text);
    if (objs) s.sysv.insert(s.sysv.end(), objs->begin(), objs->end());
  }
  if (DIR* d = ::opendir("/dev/shm")) {
    while (struct dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") s.dev_shm.insert(name);
    }
    ::closedir(d);
  }
  if (!rules.fifo_root.empty()) {
    t_fifos = &s.fifos;
    ::nftw(rules.fifo_root.c_str(), collect_fifo, 16, FTW_PHYS);
    t_fifos = nullptr;
  }
  return s;
}

Leaks find_leaks(const Snapshot& before, const Snapshot& after,
                 const LeakRules& rules, const std::set<pid_t>& ours) {
  Leaks leaks;
  std::set<std::pair<int, long>> old_ids;
  for (const SysvObject& o : before.sysv)
    old_ids.emplace(static_cast<int>(o.kind), o.id);
  for (SysvObject o : after.sysv) {
    if (old_ids.count({static_cast<int>(o.kind), o.id}) != 0) continue;
    if (o.kind == SysvObject::Kind::kSem && o.pids.empty())
      o.pids = sem_pids(o.id);
    bool counts = rules.all_sysv;
    for (long pid : o.pids)
      counts = counts || ours.count(static_cast<pid_t>(pid)) != 0;
    if (counts) leaks.sysv.push_back(std::move(o));
  }
  for (const std::string& name : after.dev_shm) {
    if (before.dev_shm.count(name) != 0) continue;
    if (rules.all_dev_shm || has_prefix(name, rules.dev_shm_prefix))
      leaks.dev_shm.push_back(name);
  }
  for (const std::string& path : after.fifos) {
    if (before.fifos.count(path) == 0) leaks.fifos.push_back(path);
  }
  return leaks;
}

std::vector<std::string> remove_leaks(const Leaks& leaks) {
  std::vector<std::string> failed;
  auto note = [&](const std::string& what) {
    failed.push_back("could not remove " + what + ": " + std::strerror(errno));
  };
  for (const SysvObject& o : leaks.sysv) {
    int id = static_cast<int>(o.id);
    int r = o.kind == SysvObject::Kind::kMsg   ? ::msgctl(id, IPC_RMID, nullptr)
            : o.kind == SysvObject::Kind::kShm ? ::shmctl(id, IPC_RMID, nullptr)
                                               : ::semctl(id, 0, IPC_RMID);
    if (r != 0 && errno != EINVAL && errno != EIDRM) note(o.describe());
  }
  for (const std::string& name : leaks.dev_shm) {
    std::string path = "/dev/shm/" + name;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) note(path);
  }
  for (const std::string& path : leaks.fifos) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) note(path);
  }
  return failed;
}

void start_recording_forks() {
  if (g_pid_log != nullptr) return;
  void* p = ::mmap(nullptr, sizeof(PidLog), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return;  // then only our own pid is attributable
  g_pid_log = new (p) PidLog{};
  ::pthread_atfork(nullptr, nullptr, record_forked_child);
}

std::set<pid_t> our_pids() {
  std::set<pid_t> pids = {::getpid()};
  if (g_pid_log == nullptr) return pids;
  unsigned n = g_pid_log->count.load(std::memory_order_relaxed);
  for (unsigned i = 0; i < n && i < kMaxRecordedPids; ++i) {
    pid_t pid = g_pid_log->pids[i].load(std::memory_order_relaxed);
    if (pid > 0) pids.insert(pid);
  }
  return pids;
}

LeakListener::LeakListener(LeakRules rules) : rules_(std::move(rules)) {}

void LeakListener::OnTestStart(const ::testing::TestInfo&) {
  before_ = take_snapshot(rules_);
}

void LeakListener::OnTestEnd(const ::testing::TestInfo&) {
  if (!rules_.enabled) return;
  Leaks leaks = find_leaks(before_, take_snapshot(rules_), rules_, our_pids());
  if (leaks.empty()) return;
  for (const SysvObject& o : leaks.sysv)
    ADD_FAILURE() << "leaked " << o.describe();
  for (const std::string& n : leaks.dev_shm) {
    ADD_FAILURE() << "leaked POSIX shared memory object /dev/shm/" << n;
  }
  for (const std::string& f : leaks.fifos) ADD_FAILURE() << "leaked FIFO " << f;
  for (const std::string& msg : remove_leaks(leaks)) ADD_FAILURE() << msg;
}

}  // namespace conformance::testing
