// ipc/sysv_msg.cc — System V message queues over the system-call seam.
#include "ipc/sysv_msg.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>
#include <optional>

#include "ipc/keys.h"
#include "ipc/limits.h"
#include "ipc/sys.h"

namespace ipc {
namespace {

std::string qid_context(int id) { return "qid=" + std::to_string(id); }

std::string no_queue(int id) {
  return "no queue with id " + std::to_string(id);
}

std::string no_buffer(std::size_t capacity) {
  return "no " + std::to_string(capacity) + "-byte message buffer";
}

std::string octal(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0%o", static_cast<unsigned>(mode));
  return buf;
}

Result<MessageQueue> get(key_t key, int flags, mode_t mode) {
  std::string context = "key=" + key_to_string(key) + ", mode=" + octal(mode);
  if ((mode & ~mode_t{0777}) != 0) {
    return Error(EINVAL, "msgget", context, "mode has bits outside 0777");
  }
  int id = sys::msgget(key, flags | static_cast<int>(mode));
  if (id >= 0) return MessageQueue::from_id(id);
  Error error = Error::from_errno("msgget", context);
  if (error.code() == EEXIST) {
    return std::move(error).with_detail("key " + key_to_string(key) +
                                        " already has a queue");
  }
  if (error.code() == ENOENT) {
    return std::move(error).with_detail("key " + key_to_string(key) +
                                        " has no queue");
  }
  return error;
}

// One words_ element for mtype plus enough for capacity bytes, rounded up.
std::size_t words_for(std::size_t capacity) {
  return 1 + capacity / sizeof(long) + (capacity % sizeof(long) != 0 ? 1 : 0);
}

}  // namespace

MessageBuffer::MessageBuffer(std::size_t capacity) : requested_(capacity) {
  // Zero-filled (the trailing `()`); null, not std::bad_alloc, on failure.
  if (capacity <= kMaxCapacity)
    words_.reset(new (std::nothrow) long[words_for(capacity)]());
}

Result<MessageQueue> MessageQueue::open(key_t key) {
  if (key == IPC_PRIVATE) {
    return Error(EINVAL, "msgget", "key=" + key_to_string(key),
                 "IPC_PRIVATE names no existing queue");
  }
  return get(key, 0, 0);
}

Result<MessageQueue> MessageQueue::create(key_t key, mode_t mode) {
  return get(key, IPC_CREAT, mode);
}

Result<MessageQueue> MessageQueue::create_exclusive(key_t key, mode_t mode) {
  return get(key, IPC_CREAT | IPC_EXCL, mode);
}

Result<MessageQueue> MessageQueue::create_private(mode_t mode) {
  return get(IPC_PRIVATE, 0, mode);
}

Status MessageQueue::send(long type, std::span<const std::byte> data,
                          SendOptions options) const {
  // Built only on the error paths: formatting it costs more than a small
  // msgsnd (bench/msg_bench).
  auto context = [&] {
    return qid_context(id_) + ", " + std::to_string(data.size()) + " bytes";
  };
  if (type < 1) return Error(EINVAL, "msgsnd", context(), "mtype must be >= 1");
  // struct msgbuf is mtype followed by the text: messages up to Linux's
  // default msgmax (8 KiB) are assembled on the stack, larger ones in a
  // MessageBuffer (a heap allocation, zero-filled, per send).
  constexpr std::size_t kStackText = 8192;
  long stack_words[1 + kStackText / sizeof(long)];
  std::optional<MessageBuffer> heap;
  long* words = stack_words;
  if (data.size() > kStackText) {
    heap.emplace(data.size());
    if (!heap->allocated())
      return Error(ENOMEM, "msgsnd", context(), no_buffer(data.size()));
    words = static_cast<long*>(heap->raw());
  }
  words[0] = type;
  if (!data.empty()) std::memcpy(&words[1], data.data(), data.size());
  int flags = options.nowait ? IPC_NOWAIT : 0;
  for (;;) {
    if (sys::msgsnd(id_, words, data.size(), flags) == 0) return ok_status();
    if (errno == EINTR && options.eintr == Eintr::kRetry) continue;
    Error error = Error::from_errno("msgsnd", context());
    switch (error.code()) {
      case EAGAIN:
        return std::move(error).with_detail("queue full");
      case EIDRM:
        return std::move(error).with_detail("queue removed");
      case EINVAL: {
        // Either the message is too long or the id is not (or no longer) a
        // queue.
        auto limits = msg_limits();
        if (limits && data.size() > limits->msgmax) {
          return std::move(error).with_detail(std::to_string(data.size()) +
                                              " bytes exceeds msgmax " +
                                              std::to_string(limits->msgmax));
        }
        return std::move(error).with_detail(no_queue(id_));
      }
      default:
        return error;
    }
  }
}

Result<MessageView> MessageQueue::receive(long msgtyp, MessageBuffer& buffer,
                                          ReceiveOptions options) const {
  if (!buffer.allocated()) {
    return Error(ENOMEM, "msgrcv",
                 qid_context(id_) + ", msgtyp=" + std::to_string(msgtyp) +
                     ", " + std::to_string(buffer.requested()) + " bytes",
                 no_buffer(buffer.requested()));
  }
  int flags = (options.nowait ? IPC_NOWAIT : 0) |
              (options.except ? MSG_EXCEPT : 0) |
              (options.truncate ? MSG_NOERROR : 0);
  for (;;) {
    ssize_t n =
        sys::msgrcv(id_, buffer.raw(), buffer.capacity(), msgtyp, flags);
    if (n >= 0) {
      return MessageView{buffer.type(),
                         buffer.text().first(static_cast<std::size_t>(n))};
    }
    if (errno == EINTR && options.eintr == Eintr::kRetry) continue;
    Error error = Error::from_errno(
        "msgrcv", qid_context(id_) + ", msgtyp=" + std::to_string(msgtyp) +
                      ", " + std::to_string(buffer.capacity()) + " bytes");
    switch (error.code()) {
      case E2BIG:
        return std::move(error).with_detail("message longer than " +
                                            std::to_string(buffer.capacity()) +
                                            "-byte buffer; it stays queued");
      case ENOMSG:
        return std::move(error).with_detail("no message matching type " +
                                            std::to_string(msgtyp));
      case EIDRM:
        return std::move(error).with_detail("queue removed");
      case EINVAL:
        return std::move(error).with_detail(no_queue(id_));
      default:
        return error;
    }
  }
}

Result<Message> MessageQueue::receive(long msgtyp, std::size_t max_size,
                                      ReceiveOptions options) const {
  MessageBuffer buffer(max_size);
  auto view = receive(msgtyp, buffer, options);
  if (!view) return std::move(view).error();
  return Message{view->type,
                 std::vector<std::byte>(view->data.begin(), view->data.end())};
}

Result<MsgStat> MessageQueue::stat() const {
  struct msqid_ds ds {};
  if (sys::msgctl(id_, IPC_STAT, &ds) != 0) {
    Error error = Error::from_errno("msgctl(IPC_STAT)", qid_context(id_));
    if (error.code() == EINVAL)
      return std::move(error).with_detail(no_queue(id_));
    return error;
  }
  return MsgStat{
      .qnum = static_cast<std::size_t>(ds.msg_qnum),
      .qbytes = static_cast<std::size_t>(ds.msg_qbytes),
      .cbytes = static_cast<std::size_t>(ds.__msg_cbytes),
      .lspid = ds.msg_lspid,
      .lrpid = ds.msg_lrpid,
      .stime = ds.msg_stime,
      .rtime = ds.msg_rtime,
      .ctime = ds.msg_ctime,
      .key = ds.msg_perm.__key,
      .uid = ds.msg_perm.uid,
      .mode = static_cast<mode_t>(ds.msg_perm.mode & 0777),
  };
}

Status MessageQueue::set_qbytes(std::size_t qbytes) const {
  std::string context = qid_context(id_) + ", qbytes=" + std::to_string(qbytes);
  struct msqid_ds ds {};
  if (sys::msgctl(id_, IPC_STAT, &ds) != 0) {
    Error error = Error::from_errno("msgctl(IPC_STAT)", context);
    if (error.code() == EINVAL)
      return std::move(error).with_detail(no_queue(id_));
    return error;
  }
  ds.msg_qbytes = qbytes;
  if (sys::msgctl(id_, IPC_SET, &ds) != 0) {
    Error error = Error::from_errno("msgctl(IPC_SET)", context);
    if (error.code() == EPERM) {
      auto limits = msg_limits();
      if (limits && qbytes > limits->msgmnb) {
        return std::move(error).with_detail("raising qbytes above msgmnb " +
                                            std::to_string(limits->msgmnb) +
                                            " needs CAP_SYS_RESOURCE");
      }
      return std::move(error).with_detail("not the queue's owner or creator");
    }
    if (error.code() == EINVAL)
      return std::move(error).with_detail(no_queue(id_));
    return error;
  }
  return ok_status();
}

Status MessageQueue::remove() const {
  if (sys::msgctl(id_, IPC_RMID, nullptr) != 0) {
    Error error = Error::from_errno("msgctl(IPC_RMID)", qid_context(id_));
    if (error.code() == EINVAL)
      return std::move(error).with_detail(no_queue(id_));
    return error;
  }
  return ok_status();
}

QueueOwner& QueueOwner::operator=(QueueOwner&& other) noexcept {
  if (this != &other) {
    if (owns_) (void)queue_.remove();
    queue_ = other.queue_;
    owns_ = other.owns_;
    other.owns_ = false;
  }
  return *this;
}

QueueOwner::~QueueOwner() {
  if (owns_) (void)queue_.remove();
}

}  // namespace ipc
