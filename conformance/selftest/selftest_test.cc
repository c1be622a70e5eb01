// conformance/selftest/selftest_test.cc — proof that the conformance suite can
// fail: the report is run with each deviation shim preloaded into the suites
// (report --preload), and every behaviour the shim breaks must come out
// "deviates", through exactly the tests listed here and with their failure
// messages. The same behaviours must conform without the shim (control run),
// so a deviation is caused by the shim, not by this host.
//
// A suite that crashes or hangs under a shim proves nothing about the rule
// (the report marks its tests "did not finish" and the behaviour "deviates"):
// that is an error of this test, as is a failure of a test not listed.
//
// Each shim breaks one rule (its header comment says which); `expected` lists
// every test that must catch it, with a piece of the failure it must report.
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "conformance/json.h"
#include "conformance/process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/testing/test_util.h"
#include "sanitizers/probe.h"

namespace conformance {
namespace {

using ::ipc::testing::DescribeWaitStatus;
using ::ipc::testing::TempDir;

// One test that must fail under a shim: the behaviour it is catalogued for,
// the test as the catalogue names it, and a substring of its failure message.
// `tsan_hides`: TSan's own interceptor stands between the suite and the shim
// (it answers the call from its own state), so under TSan the test may pass.
struct Caught {
  std::string id;
  std::string test;
  std::string message;
  bool tsan_hides = false;
};

struct Shim {
  const char* name;  // libdev_<name>.so
  std::vector<Caught> expected;
};

const std::vector<Shim>& Shims() {
  static const std::vector<Shim> shims = {
      {"exec_resets_ignored",
       {
           {"SIG-020",
            "signals_test:SigLayer.IgnoredDispositionReachesAnExecdProgram",
            "Value of: run->output"},
           {"SIG-020",
            "signals_test:SigOs."
            "ExecResetsCaughtSignalsButKeepsIgnoredMaskAndPending",
            "PeerSigstateAfter(2, [] { SetAction(2, ((__sighand"},
       }},
      {"fifo_open_eagain",
       {
           {"FIFO-011",
            "fifo_test:FifoLayer.NonblockingWriteEndWithoutReaderFailsEnxio",
            "Value of: wr"},
           {"FIFO-011",
            "fifo_test:FifoOs.NonBlockingWriteOpenWithoutReaderFailsEnxio",
            "after the reader left"},
           {"FIFO-026", "fifo_test:FifoOs.OpenWithoutPermissionFailsEacces",
            "O_CLOEXEC), ENXIO) failed: returned -1, EAGAIN"},
       }},
      {"fpu_frame_scribble",
       {
           {"HW-028",
            "hw_test:HwOs.AsynchronousSignalsPreserveFloatingPointState",
            "TEST_CHECK(damage != 1) failed: an xmm register ch"},
           {"HW-028", "hw_test:HwOs.SignalHandlerPreservesFloatingPointState",
            "state[0].xmm0"},
       }},
      {"fstatfs_host_magic",
       {
           {"PIPE-047",
            "pipe_test:PipeOs.FstatfsReportsPipefsAndAPageSizedBlock",
            "st.f_type"},
       }},
      {"ftok_by_path",
       {
           {"KEY-002", "keys_test:KeyLayer.MakeKeyOfAHardLinkEqualsTheOriginal",
            "Expected equality of these values:\n  a"},
           {"KEY-002", "keys_test:KeyOs.HardLinkGivesTheSameKey",
            "::ftok(link.c_str(), 3)"},
           {"KEY-002",
            "keys_test:KeyOs.RelativeAndAbsoluteSpellingsGiveTheSameKey",
            "::ftok((dir_.path() + \"/./anchor\").c_str(), 5)"},
           {"KEY-002", "keys_test:KeyOs.RenamedFileKeepsItsKey",
            "::ftok(moved.c_str(), 5)"},
           {"KEY-002", "keys_test:KeyOs.SymlinkGivesTheSameKeyAsItsTarget",
            "::ftok(link.c_str(), 3)"},
           {"KEY-006",
            "keys_test:KeyOs.FilesWhoseInodesAgreeInTheLow16BitsCollide",
            "::ftok(found.first.c_str(), 1)"},
           {"KEY-006", "keys_test:KeyOs.KeyIsGlibcFormulaOfIdDeviceAndInode",
            "::ftok(f.c_str(), id)"},
           {"KEY-007", "keys_test:KeyOs.RecreatedFileGetsANewKey",
            "Expected: (after) != (before)"},
       }},
      // The two tests hand the object to uid 65534 as well, and skip where it
      // is not mapped (in Bazel's sandbox): there they prove nothing.
      {"ipc_set_keeps_ctime",
       {
           {"MSG-044", "sysv_msg_test:MsgOs.IpcSetChangesModeOwnerAndQbytes",
            "IPC_SET did not update msg_ctime"},
           {"SHM-033", "sysv_shm_test:ShmOs.IpcSetChangesModeAndOwnerAndCtime",
            "Expected: (after.shm_ctime) > (created)"},
       }},
      // The same: every test here hands an object to uid 65534.
      {"ipc_set_keeps_owner",
       {
           {"MSG-044", "sysv_msg_test:MsgOs.IpcSetChangesModeOwnerAndQbytes",
            "after.msg_perm.uid"},
           {"MSG-045",
            "sysv_msg_test:MsgOs.RaisingQbytesAboveMsgmnbNeedsPrivilege",
            "TEST_CHECK_SUCCESS(::msgctl(q.id(), IPC_STAT, &d)) failed: "
            "EACCES"},
           {"MSG-045",
            "sysv_msg_test:MsgLayer.SetQbytesAboveMsgmnbUnprivilegedFailsEperm",
            "TEST_CHECK(s.error().code() == EPERM) failed"},
           {"MSG-047", "sysv_msg_test:MsgOs.NewOwnerMayRemove",
            "TEST_CHECK_SUCCESS(::msgctl(q.id(), IPC_RMID, nullptr)) failed: "
            "EPERM"},
           {"SHM-033", "sysv_shm_test:ShmOs.IpcSetChangesModeAndOwnerAndCtime",
            "after.shm_perm.uid"},
       }},
      {"ipc_stat_dirty_time",
       {
           {"MSG-009", "sysv_msg_test:MsgLayer.StatOfNewQueue", "st.stime"},
           {"MSG-009", "sysv_msg_test:MsgOs.NewQueueStatFields",
            "ds.msg_stime"},
           {"MSG-039", "sysv_msg_test:MsgOs.SendUpdatesLspidQnumStimeCbytes",
            "Expected: (ds.msg_stime) <= (::time(nullptr))"},
           {"MSG-040", "sysv_msg_test:MsgOs.ReceiveUpdatesLrpidQnumRtime",
            "Expected: (ds.msg_rtime) <= (::time(nullptr))"},
           {"MSG-044", "sysv_msg_test:MsgOs.IpcSetChangesModeOwnerAndQbytes",
            "Expected: (after.msg_ctime) <= (::time(nullptr))"},
           {"KEY-019", "keys_test:KeyOs.IpcStatWritesEveryTimeFieldInFull",
            "Value of: TimeIn(\"msg_stime\", md.msg_stime, lo, hi"},
           {"SHM-020",
            "sysv_shm_test:ShmOs.DetachDecrementsNattchAndSetsDtimeAndLpid",
            "Stat(seg.id()).shm_dtime"},
           {"SHM-032", "sysv_shm_test:ShmLayer.StatReportsFields", "st.atime"},
           {"SHM-032", "sysv_shm_test:ShmOs.IpcStatReportsEveryField",
            "ds.shm_atime"},
       }},
      {"kill_intmin_accepted",
       {
           {"SIG-047",
            "signals_test:SigOs.KillOfIntMinFailsEsrchAndSignalsNobody",
            "TEST_CHECK_ERRNO(::kill(INT_MIN, SIGUSR1), ESRCH)"},
       }},
      {"kill_tid_esrch",
       {
           {"SIG-041",
            "signals_test:SigOs.KillOfANonLeaderTidSignalsTheWholeProcess",
            "TEST_CHECK_SUCCESS(::kill(tid, 0)) failed: ESRCH"},
       }},
      {"mq_notify_lenient",
       {
           {"MSG-097", "posix_mq_test:PosixMqOs.NotifyRejectsAnInvalidSigevent",
            "glibc: sigev_notify -1"},
       }},
      {"mq_open_rejects_type_bits",
       {
           {"MSG-096", "posix_mq_test:PosixMqOs.FileTypeBitsInModeAreIgnored",
            "Invalid argument"},
       }},
      {"msg_except_ignored",
       {
           {"MSG-025", "sysv_msg_test:MsgLayer.ExceptOptionSkipsTheGivenType",
            "m.type"},
           {"MSG-025",
            "sysv_msg_test:MsgOs.BlockedReceiverWithExceptSkipsItsType",
            "a type-5 arrival was handed to msgrcv(5, MSG_EXCEP"},
           {"MSG-025",
            "sysv_msg_test:MsgOs.ExceptTakesTheFirstMessageOfAnotherType",
            "m.type"},
           {"MSG-042", "sysv_msg_test:MsgOs.MsgCopyErrors",
            "Expected: fails with EINVAL (Invalid argument)"},
       }},
      {"msg_negative_type_as_any",
       {
           {"MSG-023",
            "sysv_msg_test:MsgLayer.NegativeTypeReceivesTheLowestType",
            "m.type"},
           {"MSG-023",
            "sysv_msg_test:MsgOs."
            "BlockedReceiverWithNegativeTypeTakesOnlyATypeWithinItsBound",
            "a type-4 arrival was handed to msgrcv(-3)"},
           {"MSG-023",
            "sysv_msg_test:MsgOs.NegativeTypePicksTheLowestTypeNotTheFirst",
            "\"1:a 2:b1 2:b2 3:c \""},
           {"MSG-024",
            "sysv_msg_test:MsgOs.NegativeTypeWithoutMatchFailsEnomsg",
            "Drain(q.id())"},
           {"MSG-060",
            "sysv_msg_test:MsgOs.LongMinTypeSelectsTheLowestTypeOfAll",
            "Expected: succeeds with a value that is equal to 5"},
       }},
      {"msg_noerror_ignored",
       {
           {"MSG-028", "sysv_msg_test:MsgLayer.TruncateOptionCutsTheMessage",
            "Value of: ipct_result_.ok()"},
           {"MSG-028",
            "sysv_msg_test:MsgOs.NoErrorTruncatesAndRemovesTheMessage",
            "Expected: succeeds with a value that is equal to 4"},
       }},
      {"nanosleep_stop_not_counted",
       {
           {"EINTR-020",
            "eintr_test:EintrOs."
            "NanosleepRestartedAfterStopCountsStoppedTimeAsSlept",
            "the stopped time was not counted as slept"},
       }},
      {"pidfd_flags_ignored",
       {
           {"SIG-045",
            "signals_test:SigOs.PidfdSendSignalActsLikeKillOnThePidfdsProcess",
            "TEST_CHECK_ERRNO(::pidfd_send_signal(fd, SIGUSR1,"},
       }},
      {"pipe_eof_as_eagain",
       {
           {"PIPE-011", "pipe_test:PipeOs.NoEofWhileADuplicateWriteEndIsOpen",
            "Value of: ::read(p.read.get(), &c, 1)"},
           {"PIPE-019",
            "pipe_test:PipeOs.NonBlockingReadWithoutWriterReturnsEof",
            "Value of: ::read(p.read.get(), &c, 1)"},
           {"FIFO-010",
            "fifo_test:FifoOs.NonBlockingReadOpenSucceedsWithoutWriter",
            "Value of: ::read(r.get(), &c, 1)"},
           {"FIFO-016",
            "fifo_test:FifoOs.NonBlockingReadOnEmptyFifoWithWriterFailsEagain",
            "no EOF once the writer left"},
       }},
      {"pipe_split_write",
       {
           {"PIPE-016",
            "pipe_test:PipeOs.PartialBlockingWriteReturnsCountWhenReaderCloses",
            "Value of: (writer.wait_blocked(1))"},
           {"PIPE-020",
            "pipe_test:PipeLayer."
            "WriteAtomicRecordsFromConcurrentWritersStayWhole",
            "a record was written short"},
           {"PIPE-020",
            "pipe_test:PipeOs.ConcurrentWritersNeverInterleaveAtomicWrites",
            "a record was written short"},
           {"PIPE-022",
            "pipe_test:PipeOs.BlockingWriteLargerThanCapacityReturnsFullCount",
            "the bytes read before EOF"},
           {"PIPE-022",
            "pipe_test:PipeOs."
            "ConcurrentLargeWritesReturnFullCountAndEveryByteArrives",
            "a blocking write > PIPE_BUF returned short"},
           {"PIPE-023",
            "pipe_test:PipeOs.NonBlockingSmallWriteWithoutRoomWritesNothing",
            "Value of: ::write(p.write.get(), fill.data(), fill.siz"},
           {"PIPE-023",
            "pipe_test:PipeOs.NonBlockingWritesOfOneAndPipeBufBytesAreWhole",
            "Unread(p.read.get())"},
           {"PIPE-023",
            "pipe_test:PipeOs.NonBlockingWritevWithoutRoomWritesNothing",
            "Value of: ::write(p.write.get(), fill.data(), fill.siz"},
           {"PIPE-024",
            "pipe_test:PipeOs.NonBlockingLargeWriteIntoPartlyFullPipeIsPartial",
            "Value of: ::write(p.write.get(), prefill.data(), prefi"},
           {"PIPE-024",
            "pipe_test:PipeOs."
            "NonBlockingWritesOfPipeBufPlusOneAndCapacityAreWholeWhenTheyFit",
            "ReadExactly(p.read.get(), big.size())"},
           {"PIPE-043",
            "pipe_test:PipeOs."
            "ConcurrentLargeWritesReturnFullCountAndEveryByteArrives",
            "a blocking write > PIPE_BUF returned short"},
           {"PIPE-043",
            "pipe_test:PipeOs.ConcurrentWritersNeverInterleaveAtomicWrites",
            "a record was written short"},
           {"FIFO-015",
            "fifo_test:FifoOs.BlockingWriteLargerThanCapacityReturnsFullCount",
            "got.size()"},
           {"FIFO-015", "fifo_test:FifoOs.DataThenEofAfterLastWriterCloses",
            "Value of: ::write(w.get(), data.data(), data.size("},
           {"FIFO-015",
            "fifo_test:FifoOs.NonBlockingPipeBufWriteIsAllOrNothing",
            "Value of: ::write(w.get(), rec.data(), rec.size())"},
           {"FIFO-015", "fifo_test:FifoOs.WritesCoalesceIntoOneRead",
            "Value of: ::write(w.get(), \"abc\", 3)"},
           {"FIFO-028",
            "fifo_test:FifoLayer.WriteAtomicFromManyWriterProcessesStaysWhole",
            "a record was written short"},
           {"FIFO-028", "fifo_test:FifoOs.ManyWriterProcessesRecordsStayIntact",
            "a record was written short"},
       }},
      {"proc_fdinfo_holds_file",
       {
           {"PIPE-048",
            "pipe_test:PipeOs.ProcFdAndFdinfoDoNotKeepTheWriterAlive",
            "no end of file: something still holds the write en"},
       }},
      {"remap_file_pages_noop",
       {
           {"SHM-042",
            "sysv_shm_test:ShmOs."
            "RemapFilePagesOfARemovedSegmentFailsAndDestroysIt",
            "glibc remap_file_pages"},
       }},
      {"sa_restart_ignored",
       {
           {"FIFO-014",
            "fifo_test:FifoOs.BlockedOpenWithSaRestartHandlerKeepsWaiting",
            "the open did not go back to sleep after the handle"},
           {"SIG-005",
            "signals_test:SigLayer."
            "PreviousHoldsTheReplacedActionAndRestorePutsItBack",
            "TEST_CHECK((a->previous().sa_flags & SA_RESTART) !", true},
           {"SIG-005",
            "signals_test:SigOs."
            "OldactReturnsThePreviousActionAndNullActChangesNothing",
            "TEST_CHECK((old.sa_flags & SA_RESTART) != 0 && (o", true},
           {"EINTR-002",
            "eintr_test:Calls/EintrCall.SaRestartRestartsOnlyTheListedCalls/"
            "PipeRead",
            "Value of: (WaitReblocked(call, c.nr))"},
           {"EINTR-003",
            "eintr_test:Calls/EintrCall.SaRestartRestartsOnlyTheListedCalls/"
            "PipeWriteFull",
            "Value of: (WaitReblocked(call, c.nr))"},
           {"EINTR-005",
            "eintr_test:Calls/EintrCall.SaRestartRestartsOnlyTheListedCalls/"
            "FifoOpenRead",
            "Value of: (WaitReblocked(call, c.nr))"},
           {"EINTR-005",
            "eintr_test:Calls/EintrCall.SaRestartRestartsOnlyTheListedCalls/"
            "FifoOpenWrite",
            "Value of: (WaitReblocked(call, c.nr))"},
           {"EINTR-006",
            "eintr_test:Calls/EintrCall.SaRestartRestartsOnlyTheListedCalls/"
            "Wait",
            "Value of: (WaitReblocked(call, c.nr))"},
           {"EINTR-006",
            "eintr_test:Calls/EintrCall.SaRestartRestartsOnlyTheListedCalls/"
            "Waitid",
            "Value of: (WaitReblocked(call, c.nr))"},
           {"EINTR-006",
            "eintr_test:Calls/EintrCall.SaRestartRestartsOnlyTheListedCalls/"
            "Waitpid",
            "Value of: (WaitReblocked(call, c.nr))"},
           {"EINTR-014",
            "eintr_test:Calls/EintrCall.SaRestartRestartsOnlyTheListedCalls/"
            "MqReceive",
            "Value of: (WaitReblocked(call, c.nr))"},
           {"EINTR-014",
            "eintr_test:Calls/EintrCall.SaRestartRestartsOnlyTheListedCalls/"
            "MqSend",
            "Value of: (WaitReblocked(call, c.nr))"},
           {"EINTR-014",
            "eintr_test:Calls/EintrCall.SaRestartRestartsOnlyTheListedCalls/"
            "MqTimedreceive",
            "Value of: (WaitReblocked(call, c.nr))"},
           {"EINTR-014",
            "eintr_test:Calls/EintrCall.SaRestartRestartsOnlyTheListedCalls/"
            "MqTimedsend",
            "Value of: (WaitReblocked(call, c.nr))"},
           {"EINTR-015",
            "eintr_test:Calls/EintrCall.SaRestartRestartsOnlyTheListedCalls/"
            "FutexWait",
            "Value of: (WaitReblocked(call, c.nr))"},
           {"EINTR-015",
            "eintr_test:Calls/EintrCall.SaRestartRestartsOnlyTheListedCalls/"
            "SemWait",
            "Value of: (WaitReblocked(call, c.nr))"},
           {"EINTR-021",
            "eintr_test:EintrOs.RestartedTimedCallKeepsItsOriginalTimeout",
            "Value of: (WaitReblocked(rcv, 243))"},
           {"EINTR-022",
            "eintr_test:Calls/EintrCall.SaRestartRestartsOnlyTheListedCalls/"
            "FifoRead",
            "Value of: (WaitReblocked(call, c.nr))"},
           {"EINTR-022",
            "eintr_test:Calls/EintrCall.SaRestartRestartsOnlyTheListedCalls/"
            "FifoWriteFull",
            "Value of: (WaitReblocked(call, c.nr))"},
       }},
      {"sa_restart_rearms_timeout",
       {
           {"EINTR-021",
            "eintr_test:EintrOs.RestartedTimedCallKeepsItsOriginalTimeout",
            "a restart re-armed the timeout"},
       }},
      {"shm_not_zeroed",
       {
           {"SHM-002", "sysv_shm_test:ShmLayer.NewSegmentReadsAsZeros",
            "std::count(buf.begin(), buf.end(), std::byte{0})"},
           {"SHM-002", "sysv_shm_test:ShmOs.NewSegmentIsZeroFilled", "nonzero"},
       }},
      {"shm_unlink_keeps_name",
       {
           {"PSHM-014",
            "posix_shm_test:PshmLayer.NameOwnerUnlinksWhenItGoesOut",
            "leaked POSIX shared memory object /dev/shm/ipct-2-"},
           {"PSHM-014",
            "posix_shm_test:PshmLayer.UnlinkKeepsMappingsAndDescriptorsWorking",
            "leaked POSIX shared memory object /dev/shm/ipct-2-"},
           {"PSHM-014", "posix_shm_test:PshmOs.UnlinkOfMissingNameFailsEnoent",
            "Value of: ::shm_unlink(name.c_str())"},
           {"PSHM-014",
            "posix_shm_test:PshmOs.UnlinkRemovesTheNameAtOnceButTheMemoryLives",
            "st.st_nlink"},
           {"PSHM-015",
            "posix_shm_test:PshmOs.NameReusedAfterUnlinkIsAFreshEmptyObject",
            "leaked POSIX shared memory object /dev/shm/ipct-2-"},
       }},
      {"sigcont_keeps_stop",
       {
           {"SIG-044",
            "signals_test:SigOs.SigcontDiscardsPendingStopSignalsAndViceVersa",
            "TEST_CHECK(!state.ok() || state->state != 'T') fai"},
       }},
      {"sigcont_needs_same_uid",
       {
           {"SIG-040",
            "signals_test:SigOs."
            "SigcontReachesAnotherUsersProcessOnlyInTheSameSession",
            "TEST_CHECK_SUCCESS(::kill(target, SIGCONT)) failed"},
       }},
      {"sighold_noop",
       {
           {"SIG-046",
            "signals_test:SigOs.SigholdBlocksAndSigrelseUnblocksAndDelivers",
            "TEST_CHECK(IsBlocked(SIGUSR2)) failed: sighold did"},
       }},
      {"sigqueueinfo_forge_ok",
       {
           {"SIG-042",
            "signals_test:SigOs.ForgedSiCodeToAnotherProcessFailsEperm",
            "TEST_CHECK_ERRNO(RawSigqueueinfo(target, SIGUSR1,"},
       }},
      {"sigsuspend_bad_mask_eintr",
       {
           {"SIG-048",
            "signals_test:SigOs.SigsuspendWithABadMaskPointerFailsEfault",
            "TEST_CHECK_ERRNO(::sigsuspend(static_cast<sigset_t"},
       }},
      {"sigwait_highest_first",
       {
           {"SIG-015",
            "signals_test:Paths/"
            "SigDeliveryOrder.RealTimeInstancesComeInSendOrderLowestFirst/"
            "Sigtimedwait",
            "element #0 is equal to SIGRTMIN(1),"},
           {"SIG-015",
            "signals_test:Paths/"
            "SigDeliveryOrder.RealTimeInstancesComeInSendOrderLowestFirst/"
            "Sigwait",
            "element #0 is equal to SIGRTMIN(-1),"},
           {"SIG-015",
            "signals_test:Paths/"
            "SigDeliveryOrder.RealTimeInstancesComeInSendOrderLowestFirst/"
            "Sigwaitinfo",
            "element #0 is equal to SIGRTMIN(1),"},
           {"SIG-016",
            "signals_test:Paths/"
            "SigDeliveryOrder.StandardSignalsComeFirstLowestNumberFirst/"
            "Sigtimedwait",
            "all taken: { SIGRTMIN+1(100), SIGRTMIN+1(101), SIG"},
           {"SIG-016",
            "signals_test:Paths/"
            "SigDeliveryOrder.StandardSignalsComeFirstLowestNumberFirst/"
            "Sigwait",
            "all taken: { SIGRTMIN+1(-1), SIGRTMIN+1(-1), SIGRT"},
           {"SIG-016",
            "signals_test:Paths/"
            "SigDeliveryOrder.StandardSignalsComeFirstLowestNumberFirst/"
            "Sigwaitinfo",
            "all taken: { SIGRTMIN+1(100), SIGRTMIN+1(101), SIG"},
           {"SIG-031",
            "signals_test:SigLayer."
            "WaitSignalTimesOutWithEagainAndTakesPendingSignals",
            "TEST_CHECK(got.ok() && got->si_signo == SIGUSR1 &&"},
           {"SIG-039",
            "signals_test:SigOs."
            "GlibcSigwaitFoldsSiTkillIntoSiUserButTheKernelReportsSiTkill",
            "TEST_CHECK(::sigtimedwait(&set, &si, &zero) == SIG"},
       }},
      {"splice_nonblock_ignored",
       {
           {"PIPE-052",
            "pipe_test:PipeOs.SpliceNonblockFailsEagainOnAFullOrEmptyPipe",
            "splice into a full pipe: slept in the call"},
       }},
      {"tee_consumes",
       {
           {"PIPE-049",
            "pipe_test:PipeOs.TeeCopiesWithoutConsumingAndRejectsNonPipes",
            "Unread(a.read.get())"},
       }},
      {"tgkill_lenient",
       {
           {"SIG-043",
            "signals_test:SigOs.TgkillRejectsBadIdsAndTidsOfOtherThreadGroups",
            "glibc tgkill"},
       }},
      {"unshare_keeps_ipc",
       {
           {"MSG-095",
            "posix_mq_test:PosixMqOs."
            "NamesBelongToTheIpcNamespaceButOpenDescriptorsKeepWorking",
            "TEST_CHECK_ERRNO(::mq_open(name.c_str(), O_RDWR),"},
           {"KEY-015", "keys_test:KeyOs.NewIpcNamespaceHidesKeysAndIds",
            "TEST_CHECK_ERRNO(::msgget(key, 0), ENOENT) failed"},
       }},
      {"writev_as_writes",
       {
           {"PIPE-020",
            "pipe_test:PipeOs.ConcurrentWritevOfAtMostPipeBufNeverInterleaves",
            "CheckRecordStream(stream, sizes, 300)"},
           {"PIPE-023",
            "pipe_test:PipeOs.NonBlockingWritevWithoutRoomWritesNothing",
            "101 bytes"},
       }},
      {"msg_stat_counts_zero",
       {
           {"MSG-010", "sysv_msg_test:MsgOs.RoundTripCountsTextBytesOnly",
            "Stat(q.id()).__msg_cbytes"},
           {"MSG-011", "sysv_msg_test:MsgOs.ZeroLengthMessageIsAllowed",
            "Stat(q.id()).msg_qnum"},
           {"MSG-013", "sysv_msg_test:MsgOs.SendSizeAboveMsgmaxFailsEinval",
            "Stat(q.id()).msg_qnum"},
           {"MSG-017", "sysv_msg_test:MsgLayer.SendReturnsWithoutAReceiver",
            "({ auto ipct_result_ = (q.stat()); switch (0) case"},
           {"MSG-018",
            "sysv_msg_test:MsgOs.MessageFromExitedSenderReachesLaterReceiver",
            "ds.msg_qnum"},
           {"MSG-027",
            "sysv_msg_test:MsgOs.TooLongMessageFailsE2bigAndStaysQueued",
            "Stat(q.id()).msg_qnum"},
           {"MSG-032", "sysv_msg_test:MsgOs.FullQueueWithNowaitFailsEagain",
            "ds.msg_qnum"},
           {"MSG-033",
            "sysv_msg_test:MsgOs.SenderBlockedByCountLimitIsWokenByReceive",
            "Stat(id).msg_qnum"},
           {"MSG-033",
            "sysv_msg_test:MsgOs.ZeroLengthMessagesFillTheQueueByCount",
            "Stat(q.id()).msg_qnum"},
           {"MSG-034",
            "sysv_msg_test:MsgOs.SendOnFullQueueBlocksUntilReceiveFreesSpace",
            "Stat(id).msg_qnum"},
           {"MSG-039", "sysv_msg_test:MsgLayer.StatReflectsSendAndReceive",
            "st.qnum"},
           {"MSG-039", "sysv_msg_test:MsgOs.SendUpdatesLspidQnumStimeCbytes",
            "ds.msg_qnum"},
           {"MSG-040", "sysv_msg_test:MsgLayer.StatReflectsSendAndReceive",
            "st.qnum"},
           {"MSG-040", "sysv_msg_test:MsgOs.ReceiveUpdatesLrpidQnumRtime",
            "ds.msg_qnum"},
           {"MSG-048",
            "sysv_msg_test:MsgOs."
            "MsgInfoAndMsgStatCountExactlyInAPrivateNamespace",
            "TEST_CHECK(ds.msg_qnum == want) failed"},
       }},
      {"shm_stat_nattch_zero",
       {
           {"SHM-011", "sysv_shm_test:ShmLayer.AttachCountsInNattch",
            "({ auto ipct_result_ = (seg.stat()); switch (0) ca"},
           {"SHM-011",
            "sysv_shm_test:ShmOs."
            "AttachAtNullChoosesPageAlignedAddressAndCounts",
            "Nattch(seg.id())"},
           {"SHM-012", "sysv_shm_test:ShmLayer.TwoAttachmentsCountTwice",
            "({ auto ipct_result_ = (seg.stat()); switch (0) ca"},
           {"SHM-012",
            "sysv_shm_test:ShmOs.SameSegmentAttachedTwiceAtDistinctAddresses",
            "Nattch(seg.id())"},
           {"SHM-013",
            "sysv_shm_test:ShmOs.UnrelatedExecdProgramSharesDataThroughFtokKey",
            "Nattch(seg.id())"},
           {"SHM-020", "sysv_shm_test:ShmLayer.DetachDecrementsNattch",
            "({ auto ipct_result_ = (seg.stat()); switch (0) ca"},
           {"SHM-020",
            "sysv_shm_test:ShmOs.DetachDecrementsNattchAndSetsDtimeAndLpid",
            "Nattch(id)"},
           {"SHM-021",
            "sysv_shm_test:ShmOs."
            "DetachOfNonAttachmentSecondDetachOrUnalignedFailsEinval",
            "Nattch(seg.id())"},
           {"SHM-025",
            "sysv_shm_test:ShmOs.ForkedChildInheritsAttachmentAndItCounts",
            "TEST_CHECK(Nattch(id) == 2) failed"},
           {"SHM-026", "sysv_shm_test:ShmOs.ExecveDetachesEveryAttachment",
            "Value of: (fault::wait_until_blocked(child.pid(),"},
           {"SHM-026", "sysv_shm_test:ShmOs.ExitDetachesEveryAttachment",
            "TEST_CHECK(Nattch(id) == 4) failed"},
           {"SHM-027",
            "sysv_shm_test:ShmLayer.RemoveWhileAttachedMarksAndKeepsData",
            "st.nattch"},
           {"SHM-027",
            "sysv_shm_test:ShmOs."
            "RemoveWhileAttachedMarksAndDestroysAtLastDetach",
            "ds.shm_nattch"},
           {"SHM-029",
            "sysv_shm_test:ShmOs.AttachByIdAfterRemoveWhileStillAttached",
            "Nattch(id)"},
           {"SHM-030",
            "sysv_shm_test:ShmOs."
            "RepeatedRemoveDoesNotDestroyAttachedSegmentEarly",
            "Nattch(id)"},
           {"SHM-032", "sysv_shm_test:ShmOs.IpcStatReportsEveryField",
            "ds.shm_nattch"},
           {"SHM-037",
            "sysv_shm_test:ShmOs.PartialUnmapAndMprotectSplitsDoNotLeakNattch",
            "Expected: (Nattch(id)) >= (1)"},
           {"SHM-039", "sysv_shm_test:ShmOs.ShmRemapReplacesAnExistingMapping",
            "Nattch(seg.id())"},
           {"SHM-042",
            "sysv_shm_test:ShmOs."
            "RemapFilePagesOfARemovedSegmentFailsAndDestroysIt",
            "nattch"},
       }},
      {"mq_getattr_empty",
       {
           {"MSG-050",
            "posix_mq_test:PosixMqOs."
            "ReceiveBufferSmallerThanMsgsizeFailsEmsgsizeAndKeepsTheMessage",
            "GetAttr(q.get()).mq_curmsgs"},
           {"MSG-051",
            "posix_mq_test:PosixMqOs.NonblockingSendOnAFullQueueFailsEagain",
            "GetAttr(q.get()).mq_curmsgs"},
           {"MSG-051", "posix_mq_test:PosixMqOs.TimedSendOnAFullQueueTimesOut",
            "GetAttr(q.get()).mq_curmsgs"},
           {"MSG-055",
            "posix_mq_test:PosixMqOs."
            "NewQueueUnderAnUnlinkedNameIsADifferentQueue",
            "GetAttr(old_q.get()).mq_curmsgs"},
       }},
      {"sigpending_empty",
       {
           {"SIG-011",
            "signals_test:SigOs."
            "UnblockingAPendingSignalDeliversItBeforeSigprocmaskReturns",
            "TEST_CHECK(IsPending(SIGTERM)) failed"},
           {"SIG-011",
            "signals_test:SigLayer."
            "RestoringTheMaskDeliversThePendingSignalBeforeReturning",
            "TEST_CHECK(IsPending(SIGHUP)) failed"},
           {"SIG-013",
            "signals_test:SigOs."
            "SigpendingReportsExactlyTheBlockedPendingSignals",
            "TEST_CHECK((sigismember(&p, s) == 1) == (s == SIGU"},
           {"SIG-014",
            "signals_test:Paths/"
            "SigDeliveryOrder.StandardSignalIsTakenOnceWithItsFirstValue/"
            "Sigwait",
            "all taken: {} ({0, 0}: signals were left pending)"},
           {"SIG-014",
            "signals_test:Paths/"
            "SigDeliveryOrder.StandardSignalIsTakenOnceWithItsFirstValue/"
            "Sigwaitinfo",
            "all taken: {} ({0, 0}: signals were left pending)"},
           {"SIG-015",
            "signals_test:Paths/"
            "SigDeliveryOrder.RealTimeInstancesComeInSendOrderLowestFirst/"
            "Sigwait",
            "element #0 is equal to SIGRTMIN(-1),"},
           {"SIG-015",
            "signals_test:Paths/"
            "SigDeliveryOrder.RealTimeInstancesComeInSendOrderLowestFirst/"
            "Sigwaitinfo",
            "element #0 is equal to SIGRTMIN(1),"},
           {"SIG-016",
            "signals_test:Paths/"
            "SigDeliveryOrder.StandardSignalsComeFirstLowestNumberFirst/"
            "Sigwait",
            "all taken: {} (-1 = a real-time signal)"},
           {"SIG-016",
            "signals_test:Paths/"
            "SigDeliveryOrder.StandardSignalsComeFirstLowestNumberFirst/"
            "Sigwaitinfo",
            "all taken: {} (-1 = a real-time signal)"},
           {"SIG-017",
            "signals_test:SigOs."
            "IgnoredButBlockedSignalIsTakenBySigwaitinfoAndSignalfd",
            "TEST_CHECK(IsPending(SIGUSR1)) failed: discarded a"},
           {"SIG-017",
            "signals_test:SigOs.IgnoredSignalIsDiscardedUnlessBlocked",
            "TEST_CHECK(IsPending(SIGUSR1)) failed"},
           {"SIG-018",
            "signals_test:SigLayer."
            "SetDispositionIgnoreDiscardsThePendingSignal",
            "TEST_CHECK(IsPending(SIGUSR2)) failed"},
           {"SIG-018", "signals_test:SigOs.IgnoringAPendingSignalDiscardsIt",
            "TEST_CHECK(IsPending(SIGUSR1)) failed"},
           {"SIG-019",
            "signals_test:SigOs."
            "ForkChildInheritsDispositionsAndMaskButNoPendingSignalsOrAlarm",
            "TEST_CHECK(IsPending(SIGTERM) && ::alarm(0) > 0)"},
           {"SIG-020",
            "signals_test:SigOs."
            "ExecResetsCaughtSignalsButKeepsIgnoredMaskAndPending",
            "PeerSigstateAfter(12, [] { SetAction(12, CountHand"},
           {"SIG-025",
            "signals_test:SigOs.KillMinusOneSignalsOthersButNotTheCaller",
            "another process missed kill(-1)"},
           {"SIG-027", "signals_test:SigOs.TgkillTargetsExactlyOneThread",
            "TEST_CHECK(seen_by_other == 0 && IsPending(SIGUSR2)"},
           {"SIG-030",
            "signals_test:SigOs.SigsuspendSleepsThroughSignalsItsMaskBlocks",
            "the masked signal is not pending"},
           {"SIG-037",
            "signals_test:SigOs.SignalfdReadsAndConsumesBlockedPendingSignals",
            "TEST_CHECK(!IsPending(SIGUSR1) && !IsPending(rt) &&"},
           {"SIG-041",
            "signals_test:SigOs.KillOfANonLeaderTidSignalsTheWholeProcess",
            "TEST_CHECK(IsPending(SIGUSR1)) failed: not pending"},
           {"SIG-044",
            "signals_test:SigOs.SigcontDiscardsPendingStopSignalsAndViceVersa",
            "TEST_CHECK(IsPending(SIGCONT)) failed: SIGCONT not"},
           {"SIG-046",
            "signals_test:SigOs.SigholdBlocksAndSigrelseUnblocksAndDelivers",
            "TEST_CHECK(IsPending(SIGUSR2)) failed"},
       }},
      {"pipe_fstat_regular",
       {
           {"PIPE-001", "pipe_test:PipeLayer.MakePipeEndsAreOneFifoObject",
            "Value of: ((((rs.st_mode)) & 0170000) == (0010000)"},
           {"PIPE-001", "pipe_test:PipeOs.BothEndsAreOneFifoObject",
            "Value of: ((((rs.st_mode)) & 0170000) == (0010000)"},
           {"FIFO-007",
            "fifo_test:FifoLayer.UnrelatedProgramWritesToOpenFifoReader",
            "Value of: rd"},
           {"FIFO-008", "fifo_test:FifoLayer.OpenFifoReadEndBlocksUntilWriter",
            "Value of: wr"},
           {"FIFO-009", "fifo_test:FifoLayer.OpenFifoWriteEndBlocksUntilReader",
            "Value of: rd"},
           {"FIFO-010",
            "fifo_test:FifoLayer.NonblockingReadEndOpensWithoutWriter",
            "Value of: rd"},
           {"FIFO-014",
            "fifo_test:FifoLayer.OpenFifoRetryOptionKeepsWaitingAfterSignal",
            "Value of: rd"},
           {"FIFO-015", "fifo_test:FifoLayer.WriteFullThenReadFullThroughFifo",
            "Value of: ipct_result_.ok()"},
           {"FIFO-016",
            "fifo_test:FifoLayer.ReadSomeOnEmptyNonblockingFifoFailsEagain",
            "Value of: ipct_result_.ok()"},
           {"FIFO-017",
            "fifo_test:FifoLayer.WriteSomeToFullNonblockingFifoFailsEagain",
            "Value of: ipct_result_.ok()"},
           {"FIFO-018", "fifo_test:FifoLayer.WriteSomeWithoutReaderFailsEpipe",
            "Value of: ipct_result_.ok()"},
           {"FIFO-021", "fifo_test:FifoLayer.RemoveFifoDeletesOnlyFifos",
            "Value of: (ipc::remove_fifo(fifo_))"},
           {"FIFO-022", "fifo_test:FifoLayer.OpenFifoAfterRemoveFailsEnoent",
            "Value of: ipct_result_.ok()"},
           {"FIFO-025",
            "fifo_test:FifoLayer.OpenFifoDescriptorsAreCloexecWithExactFlags",
            "Value of: ipct_result_.ok()"},
           {"FIFO-030",
            "fifo_test:FifoOs.SymlinkToFifoIsFollowedUnlessONofollow",
            "Value of: ((((st.st_mode)) & 0170000) == (0010000)"},
           {"FIFO-031",
            "fifo_test:FifoLayer.OpenFifoRefusesFifoOwnedByAnotherUid",
            "Value of: rd"},
       }},
  };
  return shims;
}

// Behaviours whose tests start threads in a forked child. The report's
// per-test watchdog is a thread, so each suite is multi-threaded when it
// forks, and TSan does not support threads after such a fork (the child dies
// with a TSan error): under TSan the report cannot judge them.
bool JudgedUnderThisBuild(const std::string& id) {
  return !sanitizers::kThread || (id != "SIG-027" && id != "SIG-041");
}

std::vector<std::string> IdsOf(const Shim& shim) {
  std::vector<std::string> ids;
  for (const Caught& c : shim.expected) {
    if (!JudgedUnderThisBuild(c.id)) continue;
    if (std::find(ids.begin(), ids.end(), c.id) == ids.end())
      ids.push_back(c.id);
  }
  return ids;
}

// What the report said about one behaviour.
struct Result {
  std::string verdict;
  std::map<std::string, std::string> failures;  // test → its failure message
  std::map<std::string, std::string> skipped;   // test → why it was skipped
};

// Splits a behaviour's "observed" text ("<test>: <message>" per failed test,
// joined by newlines; a message may span lines) by the behaviour's tests.
std::map<std::string, std::string> SplitObserved(
    const std::string& observed, const std::vector<std::string>& tests) {
  std::string text = observed;  // tests that failed, then those not run
  std::size_t also = text.find("\nalso not run:\n");
  if (also != std::string::npos) text.replace(also, 15, "\n");
  std::map<std::size_t, std::string> starts;  // offset of "<test>: " → test
  for (const std::string& t : tests) {
    std::string head = t + ": ";
    for (std::size_t at = text.find(head); at != std::string::npos;
         at = text.find(head, at + 1)) {
      if (at == 0 || text[at - 1] == '\n') starts[at] = t;
    }
  }
  std::map<std::string, std::string> out;
  for (auto it = starts.begin(); it != starts.end(); ++it) {
    std::size_t from = it->first + it->second.size() + 2;
    auto next = std::next(it);
    std::size_t to = next == starts.end() ? text.size() : next->first;
    out[it->second] += text.substr(from, to - from);
  }
  return out;
}

// Runs the report over `ids` (optionally under `preload`); id → result.
// Returns an empty map (and says why in *log) if the report did not run.
std::map<std::string, Result> Report(const std::vector<std::string>& ids,
                                     const std::string& preload,
                                     std::string* log) {
  TempDir dir;
  auto report = runfile("conformance/report");
  if (!report) {
    *log = report.error().message();
    return {};
  }
  std::string only;
  for (const std::string& id : ids) only += (only.empty() ? "" : ",") + id;
  std::vector<std::string> argv = {
      *report,          "--only",           only,
      "--json",         dir.file("r.json"), "--out",
      dir.file("r.md"), "--test-timeout",   "5"};
  if (!preload.empty()) argv.insert(argv.end(), {"--preload", preload});
  RunOptions opt;
  opt.timeout = std::chrono::minutes(5);
  auto run = run_program(argv, opt);
  if (!run) {
    *log = run.error().message();
    return {};
  }
  *log = "report " + DescribeWaitStatus(run->wait_status) + "\n" + run->output;
  std::ifstream in(dir.file("r.json"));
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  auto doc = parse_json(text);
  if (!doc) {
    *log += "\n" + doc.error().message();
    return {};
  }
  std::map<std::string, Result> out;
  for (const Json& b : doc->get("behaviours")->as_array()) {
    std::vector<std::string> tests;
    for (const Json& t : b.get("tests")->as_array())
      tests.push_back(t.as_string());
    Result& r = out[b.get_string("id")];
    r.verdict = b.get_string("verdict");
    r.failures = SplitObserved(b.get_string("observed"), tests);
    r.skipped = SplitObserved(b.get_string("reason"), tests);
  }
  return out;
}

// True if the report could not judge the test: the suite crashed, hung (the
// per-test watchdog or the suite timeout), or the test did not run.
bool DidNotFinish(const std::string& message) {
  return message.find(" did not finish: ") != std::string::npos ||
         message.rfind("not run (", 0) == 0;
}

class DeviationShim : public ::testing::TestWithParam<Shim> {};

TEST_P(DeviationShim, CaughtByItsTestsWithTheirMessages) {
  const Shim& shim = GetParam();
  auto lib =
      runfile(std::string("conformance/selftest/libdev_") + shim.name + ".so");
  ASSERT_TRUE(lib.ok()) << lib.error().message();
  std::vector<std::string> ids = IdsOf(shim);
  if (ids.empty()) {
    GTEST_SKIP() << "this build's report cannot judge what " << shim.name
                 << " breaks (see JudgedUnderThisBuild)";
  }
  std::string log;
  auto results = Report(ids, *lib, &log);
  ASSERT_FALSE(results.empty()) << "the report did not run\n" << log;
  std::set<std::string> listed, caught;
  for (const Caught& c : shim.expected) {
    listed.insert(c.test);
    if (!JudgedUnderThisBuild(c.id)) continue;
    const Result& r = results[c.id];
    auto f = r.failures.find(c.test);
    if (f != r.failures.end()) {
      if (DidNotFinish(f->second)) continue;  // an error, reported below
      EXPECT_THAT(f->second, ::testing::HasSubstr(c.message))
          << shim.name << ": " << c.test << " failed for another reason";
      caught.insert(c.id);
    } else if (r.skipped.count(c.test) == 0 &&
               !(c.tsan_hides && sanitizers::kThread)) {
      // A test this build skips (e.g. one TSan cannot run) proves nothing
      // here and is not an error; the control run checks the rest.
      ADD_FAILURE() << shim.name << ": " << c.test << " (" << c.id
                    << ") did not fail\n"
                    << log;
    }
  }
  for (const std::string& id : caught) {
    EXPECT_EQ(results[id].verdict, "deviates") << id << "\n" << log;
  }
  for (const auto& [id, r] : results) {
    if (r.verdict == "error") {
      ADD_FAILURE() << "error, not a proof: the report could not judge " << id
                    << " under " << shim.name << "\n"
                    << log;
    }
    for (const auto& [test, message] : r.failures) {
      if (DidNotFinish(message)) {
        ADD_FAILURE() << "error, not a proof: " << test << " (" << id
                      << ") crashed or hung under " << shim.name << ": "
                      << message;
      } else if (listed.count(test) == 0) {
        ADD_FAILURE() << shim.name << ": " << test << " (" << id
                      << ") failed but is not listed as catching it: "
                      << message;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shims, DeviationShim, ::testing::ValuesIn(Shims()),
                         [](const ::testing::TestParamInfo<Shim>& info) {
                           return std::string(info.param.name);
                         });

TEST(DeviationShimControl, TheSameBehavioursConformWithoutAShim) {
  std::vector<std::string> ids;
  for (const Shim& s : Shims()) {
    for (const std::string& id : IdsOf(s)) {
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
  }
  std::string log;
  auto results = Report(ids, "", &log);
  ASSERT_FALSE(results.empty()) << "the report did not run\n" << log;
  for (const std::string& id : ids) {
    // partial or skipped: tests this environment cannot run (e.g. no user
    // to drop to in Bazel's sandbox), none failed.
    EXPECT_THAT(results[id].verdict,
                ::testing::AnyOf("conforms", "partial", "skipped"))
        << id << "\n"
        << log;
  }
}

}  // namespace
}  // namespace conformance
