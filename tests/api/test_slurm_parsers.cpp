// The pure parsers of the Slurm scheduler (no cluster): one `scontrol show job -o` record as Slurm
// 22.05 prints it (api/slurm_client.h), and the instance-type mapping file with its default table
// (api/instance_resources.h).
#include <gtest/gtest.h>

#include <string>

#include "api/api_error.h"
#include "api/instance_resources.h"
#include "api/slurm_client.h"
#include "io/error.h"
#include "io/paths.h"
#include "support/test_util.h"

namespace segmaker::api {
namespace {

template <typename F>
ApiError error_of(F f) {
  try {
    f();
  } catch (const ApiError& e) {
    return e;
  }
  return ApiError(0, "(no error)", "");
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// `scontrol show job -o 42` on Slurm 22.05 for a 2-node job of segmaker's (one line, abridged of nothing).
const std::string kRunning =
    "JobId=42 JobName=segmaker-pets-1 UserId=alice(1000) GroupId=alice(1000) MCS_label=N/A Priority=4294901759 "
    "Nice=0 Account=(null) QOS=normal JobState=RUNNING Reason=None Dependency=(null) Requeue=1 Restarts=0 "
    "BatchFlag=1 Reboot=0 ExitCode=0:0 RunTime=00:00:12 TimeLimit=01:00:00 TimeMin=N/A "
    "SubmitTime=2026-11-30T10:00:00 EligibleTime=2026-11-30T10:00:00 AccrueTime=2026-11-30T10:00:00 "
    "StartTime=2026-11-30T10:00:01 EndTime=2026-11-30T11:00:01 Deadline=N/A SuspendTime=None SecsPreSuspend=0 "
    "LastSchedEval=2026-11-30T10:00:01 Scheduler=Main Partition=debug AllocNode:Sid=head:4711 ReqNodeList=(null) "
    "ExcNodeList=(null) NodeList=n[1-2] BatchHost=n1 NumNodes=2 NumCPUs=2 NumTasks=2 CPUs/Task=1 "
    "ReqB:S:C:T=0:0:*:* TRES=cpu=2,mem=1800M,node=2,billing=2 Socks/Node=* NtasksPerN:B:S:C=1:0:*:* CoreSpec=* "
    "MinCPUsNode=1 MinMemoryNode=900M MinTmpDiskNode=0 Features=(null) DelayBoot=00:00:00 OverSubscribe=OK "
    "Contiguous=0 Licenses=(null) Network=(null) Command=/var/lib/segmaker/jobs/pets-1/run.sh "
    "WorkDir=/var/lib/segmaker/jobs/pets-1 Comment=segmaker:pets-1 StdErr=/var/lib/segmaker/jobs/pets-1/slurm.out "
    "StdIn=/dev/null StdOut=/var/lib/segmaker/jobs/pets-1/slurm.out Power=";

const std::string kNodeFail =
    "JobId=43 JobName=segmaker-pets-2 UserId=alice(1000) GroupId=alice(1000) MCS_label=N/A Priority=4294901758 "
    "Nice=0 Account=(null) QOS=normal JobState=NODE_FAIL Reason=NodeDown Dependency=(null) Requeue=0 Restarts=0 "
    "BatchFlag=1 Reboot=0 ExitCode=0:0 RunTime=00:01:40 TimeLimit=01:00:00 TimeMin=N/A "
    "SubmitTime=2026-11-30T10:05:00 EligibleTime=2026-11-30T10:05:00 AccrueTime=2026-11-30T10:05:00 "
    "StartTime=2026-11-30T10:05:01 EndTime=2026-11-30T10:06:41 Deadline=N/A SuspendTime=None SecsPreSuspend=0 "
    "LastSchedEval=2026-11-30T10:05:01 Scheduler=Main Partition=debug AllocNode:Sid=head:4711 ReqNodeList=(null) "
    "ExcNodeList=(null) NodeList=n[1-2] BatchHost=n1 NumNodes=2 NumCPUs=2 NumTasks=2 CPUs/Task=1 "
    "ReqB:S:C:T=0:0:*:* TRES=cpu=2,mem=1800M,node=2,billing=2 Socks/Node=* NtasksPerN:B:S:C=1:0:*:* CoreSpec=* "
    "MinCPUsNode=1 MinMemoryNode=900M MinTmpDiskNode=0 Features=(null) DelayBoot=00:00:00 OverSubscribe=OK "
    "Contiguous=0 Licenses=(null) Network=(null) Command=/var/lib/segmaker/jobs/pets-2/run.sh "
    "WorkDir=/var/lib/segmaker/jobs/pets-2 Comment=segmaker:pets-2 StdErr=/var/lib/segmaker/jobs/pets-2/slurm.out "
    "StdIn=/dev/null StdOut=/var/lib/segmaker/jobs/pets-2/slurm.out Power=";

const std::string kPending =
    "JobId=44 JobName=segmaker-pets-3 UserId=alice(1000) GroupId=alice(1000) MCS_label=N/A Priority=4294901757 "
    "Nice=0 Account=(null) QOS=normal JobState=PENDING Reason=Resources Dependency=(null) Requeue=1 Restarts=0 "
    "BatchFlag=1 Reboot=0 ExitCode=0:0 RunTime=00:00:00 TimeLimit=01:00:00 TimeMin=N/A "
    "SubmitTime=2026-11-30T10:07:00 EligibleTime=2026-11-30T10:07:00 AccrueTime=2026-11-30T10:07:00 "
    "StartTime=2026-11-30T11:00:01 EndTime=2026-11-30T12:00:01 Deadline=N/A SuspendTime=None SecsPreSuspend=0 "
    "LastSchedEval=2026-11-30T10:07:02 Scheduler=Main Partition=debug AllocNode:Sid=head:4711 ReqNodeList=(null) "
    "ExcNodeList=(null) NodeList=(null) NumNodes=2-2 NumCPUs=2 NumTasks=2 CPUs/Task=1 ReqB:S:C:T=0:0:*:* "
    "TRES=cpu=2,mem=1800M,node=2,billing=2 Socks/Node=* NtasksPerN:B:S:C=1:0:*:* CoreSpec=* MinCPUsNode=1 "
    "MinMemoryNode=900M MinTmpDiskNode=0 Features=(null) DelayBoot=00:00:00 OverSubscribe=NO Contiguous=0 "
    "Licenses=(null) Network=(null) Command=/var/lib/segmaker/jobs/pets-3/run.sh "
    "WorkDir=/var/lib/segmaker/jobs/pets-3 Comment=segmaker:pets-3 StdErr=/var/lib/segmaker/jobs/pets-3/slurm.out "
    "StdIn=/dev/null StdOut=/var/lib/segmaker/jobs/pets-3/slurm.out Power=";

// A finished job whose folder (hence WorkDir, Command, StdErr, StdOut) has spaces in its name.
const std::string kSpaces =
    "JobId=45 JobName=segmaker-pets-4 UserId=alice(1000) GroupId=alice(1000) MCS_label=N/A Priority=4294901756 "
    "Nice=0 Account=(null) QOS=normal JobState=FAILED Reason=NonZeroExitCode Dependency=(null) Requeue=1 "
    "Restarts=0 BatchFlag=1 Reboot=0 ExitCode=2:0 RunTime=00:00:03 TimeLimit=01:00:00 TimeMin=N/A "
    "SubmitTime=2026-11-30T10:09:00 EligibleTime=2026-11-30T10:09:00 AccrueTime=2026-11-30T10:09:00 "
    "StartTime=2026-11-30T10:09:01 EndTime=2026-11-30T10:09:04 Deadline=N/A SuspendTime=None SecsPreSuspend=0 "
    "LastSchedEval=2026-11-30T10:09:01 Scheduler=Main Partition=debug AllocNode:Sid=head:4711 ReqNodeList=(null) "
    "ExcNodeList=(null) NodeList=n1 BatchHost=n1 NumNodes=1 NumCPUs=1 NumTasks=1 CPUs/Task=1 ReqB:S:C:T=0:0:*:* "
    "TRES=cpu=1,mem=900M,node=1,billing=1 Socks/Node=* NtasksPerN:B:S:C=1:0:*:* CoreSpec=* MinCPUsNode=1 "
    "MinMemoryNode=900M MinTmpDiskNode=0 Features=(null) DelayBoot=00:00:00 OverSubscribe=OK Contiguous=0 "
    "Licenses=(null) Network=(null) Command=/srv/sage maker/my jobs/pets-4/run.sh "
    "WorkDir=/srv/sage maker/my jobs/pets-4 Comment=segmaker:pets-4 "
    "StdErr=/srv/sage maker/my jobs/pets-4/slurm.out StdIn=/dev/null StdOut=/srv/sage maker/my jobs/pets-4/slurm.out "
    "Power=";

TEST(SlurmParsers, ARunningJobsRecordReadsEveryField) {
  const auto f = parse_scontrol_record(kRunning);
  EXPECT_EQ(f.at("JobId"), "42");
  EXPECT_EQ(f.at("JobName"), "segmaker-pets-1");
  EXPECT_EQ(f.at("UserId"), "alice(1000)");
  EXPECT_EQ(f.at("NodeList"), "n[1-2]");
  EXPECT_EQ(f.at("BatchHost"), "n1");
  EXPECT_EQ(f.at("Comment"), "segmaker:pets-1");
  EXPECT_EQ(f.at("WorkDir"), "/var/lib/segmaker/jobs/pets-1");
  // Keys with ':' and '/', values with '=' (split at the first one), and the empty value at the end.
  EXPECT_EQ(f.at("AllocNode:Sid"), "head:4711");
  EXPECT_EQ(f.at("CPUs/Task"), "1");
  EXPECT_EQ(f.at("ReqB:S:C:T"), "0:0:*:*");
  EXPECT_EQ(f.at("TRES"), "cpu=2,mem=1800M,node=2,billing=2");
  ASSERT_TRUE(f.count("Power"));
  EXPECT_EQ(f.at("Power"), "");
  EXPECT_FALSE(f.count("cpu"));
  EXPECT_EQ(f.size(), 61u);

  const auto s = slurm_job_state(kRunning);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->id, "42");
  EXPECT_EQ(s->state, "RUNNING");
  EXPECT_EQ(s->reason, "None");
  EXPECT_EQ(s->exit_code, "0:0");
  EXPECT_EQ(s->nodes, "n[1-2]");
  EXPECT_FALSE(s->finished());
  // scontrol ends its output with a newline; the service may read it so.
  const auto with_newline = slurm_job_state(kRunning + "\n");
  ASSERT_TRUE(with_newline);
  EXPECT_EQ(with_newline->nodes, "n[1-2]");
  EXPECT_EQ(parse_scontrol_record(kRunning + "\n").at("Power"), "");
}

TEST(SlurmParsers, ANodeFailRecordIsFinishedWithItsReason) {
  const auto s = slurm_job_state(kNodeFail);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->id, "43");
  EXPECT_EQ(s->state, "NODE_FAIL");
  EXPECT_EQ(s->reason, "NodeDown");
  EXPECT_EQ(s->exit_code, "0:0");
  EXPECT_EQ(s->nodes, "n[1-2]");
  EXPECT_TRUE(s->finished());
}

TEST(SlurmParsers, APendingRecordHasNoNodesYet) {
  const auto s = slurm_job_state(kPending);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->id, "44");
  EXPECT_EQ(s->state, "PENDING");
  EXPECT_EQ(s->reason, "Resources");
  EXPECT_EQ(s->exit_code, "0:0");
  EXPECT_EQ(s->nodes, "(null)");
  EXPECT_FALSE(s->finished());
  const auto f = parse_scontrol_record(kPending);
  EXPECT_EQ(f.at("NumNodes"), "2-2");
  EXPECT_FALSE(f.count("BatchHost"));
}

TEST(SlurmParsers, ValuesWithSpacesKeepTheirWords) {
  const auto f = parse_scontrol_record(kSpaces);
  EXPECT_EQ(f.at("WorkDir"), "/srv/sage maker/my jobs/pets-4");
  EXPECT_EQ(f.at("Command"), "/srv/sage maker/my jobs/pets-4/run.sh");
  EXPECT_EQ(f.at("StdErr"), "/srv/sage maker/my jobs/pets-4/slurm.out");
  EXPECT_EQ(f.at("StdOut"), "/srv/sage maker/my jobs/pets-4/slurm.out");
  // The fields after them are not swallowed.
  EXPECT_EQ(f.at("Comment"), "segmaker:pets-4");
  EXPECT_EQ(f.at("StdIn"), "/dev/null");
  EXPECT_EQ(f.at("Licenses"), "(null)");
  EXPECT_EQ(f.at("Power"), "");

  const auto s = slurm_job_state(kSpaces);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->id, "45");
  EXPECT_EQ(s->state, "FAILED");
  EXPECT_EQ(s->reason, "NonZeroExitCode");
  EXPECT_EQ(s->exit_code, "2:0");
  EXPECT_EQ(s->nodes, "n1");
  EXPECT_TRUE(s->finished());

  // A Reason of several words (as slurmctld writes for held or failed launches) too.
  const auto held = slurm_job_state("JobId=7 JobState=PENDING Reason=launch failed requeued held ExitCode=0:0 NodeList=(null)");
  ASSERT_TRUE(held);
  EXPECT_EQ(held->reason, "launch failed requeued held");
  EXPECT_EQ(held->exit_code, "0:0");
}

TEST(SlurmParsers, EmptyLinesAndGarbageHaveNoJob) {
  EXPECT_TRUE(parse_scontrol_record("").empty());
  EXPECT_TRUE(parse_scontrol_record("   \n\t ").empty());
  EXPECT_FALSE(slurm_job_state(""));
  EXPECT_FALSE(slurm_job_state("\n"));
  // What scontrol prints for a job slurmctld has forgotten, and other lines without a JobId.
  EXPECT_TRUE(parse_scontrol_record("slurm_load_jobs error: Invalid job id specified").empty());
  EXPECT_FALSE(slurm_job_state("slurm_load_jobs error: Invalid job id specified"));
  EXPECT_FALSE(slurm_job_state("No jobs in the system"));
  EXPECT_FALSE(slurm_job_state("=42 ==== = JobState=RUNNING"));
  EXPECT_FALSE(slurm_job_state("JobId= JobState=RUNNING NodeList=n1"));
  EXPECT_FALSE(slurm_job_state("NodeName=n1 Arch=x86_64 CoresPerSocket=1 State=IDLE"));  // a node, not a job
  EXPECT_FALSE(slurm_job_state(std::string("\0\x01\xff JobId\x7f", 10)));
  EXPECT_FALSE(slurm_job_state("jobid=42 JobState=RUNNING"));  // keys are case-sensitive
}

TEST(SlurmParsers, FinishedForEachStateFamily) {
  const auto finished = [](const std::string& state) {
    SlurmJobState s;
    s.id = "1";
    s.state = state;
    return s.finished();
  };
  // Waiting or running: the job may still run.
  for (const char* state : {"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "STOPPED", "SIGNALING",
                            "STAGE_OUT", "RESIZING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD",
                            "SPECIAL_EXIT"})
    EXPECT_FALSE(finished(state)) << state;
  // Ended, well or not.
  for (const char* state : {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL",
                            "DEADLINE", "OUT_OF_MEMORY"})
    EXPECT_TRUE(finished(state)) << state;
  // A record without JobState says nothing about an end.
  EXPECT_FALSE(finished(""));
  const auto s = slurm_job_state("JobId=9 JobName=x");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, "");
  EXPECT_FALSE(s->finished());
}

// --- the instance-type mapping file ---

const std::string kSource = "instance type mapping file 'types.json'";

std::string user_error(const std::string& text) {
  return test::message_of<UserError>([&] { InstanceResourceTable::parse(text, kSource); });
}

TEST(SlurmParsers, AMappingFileIsReadBackThroughResolve) {
  const auto t = InstanceResourceTable::parse(R"({
      "ml.c5.xlarge": {"cpus": 4, "memory_mib": 8000},
      "ml.p3.2xlarge": {"partition": "gpu", "cpus": 8, "memory_mib": 61000, "gpus": 1, "exclusive": true},
      "ml.m5.large": {}
    })",
                                              kSource);
  EXPECT_EQ(t.known(), (std::vector<std::string>{"ml.c5.xlarge", "ml.m5.large", "ml.p3.2xlarge"}));
  const InstanceResources& c5 = t.resolve("ml.c5.xlarge");
  EXPECT_EQ(c5.partition, "");
  EXPECT_EQ(c5.cpus, 4);
  EXPECT_EQ(c5.memory_mib, 8000);
  EXPECT_EQ(c5.gpus, 0);
  EXPECT_FALSE(c5.exclusive);
  const InstanceResources& p3 = t.resolve("ml.p3.2xlarge");
  EXPECT_EQ(p3.partition, "gpu");
  EXPECT_EQ(p3.cpus, 8);
  EXPECT_EQ(p3.memory_mib, 61000);
  EXPECT_EQ(p3.gpus, 1);
  EXPECT_TRUE(p3.exclusive);
  const InstanceResources& m5 = t.resolve("ml.m5.large");  // every field optional: nothing asked
  EXPECT_EQ(m5.partition, "");
  EXPECT_EQ(m5.cpus, 0);
  EXPECT_EQ(m5.memory_mib, 0);
  EXPECT_EQ(m5.gpus, 0);
  EXPECT_FALSE(m5.exclusive);
  // The bounds themselves are allowed.
  const auto max = InstanceResourceTable::parse(
      R"({"ml.x.big": {"cpus": 4096, "memory_mib": 1073741824, "gpus": 64, "exclusive": false}})", kSource);
  EXPECT_EQ(max.resolve("ml.x.big").cpus, 4096);
  EXPECT_EQ(max.resolve("ml.x.big").memory_mib, 1ll << 30);
  EXPECT_EQ(max.resolve("ml.x.big").gpus, 64);
}

TEST(SlurmParsers, AMappingFileIsLoadedFromItsPath) {
  test::TempDir dir;
  const auto file = dir.path() / "instance-types.json";
  io::write_file_atomic(file, R"({"ml.c5.xlarge": {"cpus": 1, "memory_mib": 900}})");
  const auto t = InstanceResourceTable::load(file);
  EXPECT_EQ(t.resolve("ml.c5.xlarge").cpus, 1);
  EXPECT_EQ(t.resolve("ml.c5.xlarge").memory_mib, 900);
  const std::string missing = test::message_of<UserError>([&] { InstanceResourceTable::load(dir.path() / "none.json"); });
  EXPECT_TRUE(contains(missing, "none.json")) << missing;
  EXPECT_TRUE(contains(missing, "does not exist")) << missing;
  io::write_file_atomic(file, "[]");
  const std::string bad = test::message_of<UserError>([&] { InstanceResourceTable::load(file); });
  EXPECT_TRUE(contains(bad, "instance-types.json")) << bad;
}

TEST(SlurmParsers, AnUnknownTypeIsAValidationErrorListingTheKnownOnes) {
  const auto t = InstanceResourceTable::parse(R"({"ml.c5.xlarge": {"cpus": 4}, "ml.m5.large": {"cpus": 2}})", kSource);
  const ApiError e = error_of([&] { t.resolve("ml.p3.2xlarge"); });
  EXPECT_EQ(e.status(), 400);
  EXPECT_EQ(e.type(), "ValidationException");
  const std::string m = e.what();
  EXPECT_TRUE(contains(m, "'ml.p3.2xlarge'")) << m;
  EXPECT_TRUE(contains(m, "ml.c5.xlarge, ml.m5.large")) << m;
  EXPECT_TRUE(contains(m, "--instance-types")) << m;
  EXPECT_EQ(error_of([&] { t.resolve(""); }).type(), "ValidationException");
  EXPECT_EQ(error_of([&] { t.resolve("ML.C5.XLARGE"); }).type(), "ValidationException");  // names are exact
}

TEST(SlurmParsers, InvalidMappingFilesAreUserErrorsNamingTheEntry) {
  // The whole file: not JSON, not an object, empty.
  for (const char* text : {"", "not json", "{\"ml.c5.xlarge\": ", "[]", "[{\"ml.c5.xlarge\": {}}]", "\"ml.c5.xlarge\"",
                           "42", "null", "{}"}) {
    const std::string m = user_error(text);
    EXPECT_TRUE(contains(m, kSource + " must be a JSON object from instance type to resources")) << text << ": " << m;
  }
  // A key that is no SageMaker instance type.
  for (const char* text : {R"({"c5.xlarge": {}})", R"({"": {}})", R"({"ML.c5.xlarge": {}})"}) {
    const std::string m = user_error(text);
    EXPECT_TRUE(contains(m, "is not a SageMaker instance type")) << text << ": " << m;
    EXPECT_TRUE(contains(m, kSource)) << m;
  }
  EXPECT_TRUE(contains(user_error(R"({"ml.c5.xlarge": {}, "c5.xlarge": {}})"), "\"c5.xlarge\" is not a SageMaker instance type"));
  const std::string long_key = user_error("{\"ml." + std::string(100, 'x') + "\": {}}");
  EXPECT_TRUE(contains(long_key, "is not a SageMaker instance type")) << long_key;
  // An entry that is no object.
  for (const char* text : {R"({"ml.c5.xlarge": 4})", R"({"ml.c5.xlarge": null})", R"({"ml.c5.xlarge": [4]})"}) {
    const std::string m = user_error(text);
    EXPECT_TRUE(contains(m, kSource + " \"ml.c5.xlarge\" must be an object")) << text << ": " << m;
  }
  // Each field, named with its entry.
  struct Case {
    const char* entry;
    const char* says;
  };
  for (const Case& c : {
           Case{R"({"cores": 4})", "unknown field \"cores\" (known: partition, cpus, memory_mib, gpus, exclusive)"},
           Case{R"({"cpus": -1})", "\"cpus\" must be a whole number from 0 to 4096, got -1"},
           Case{R"({"cpus": 1.5})", "\"cpus\" must be a whole number from 0 to 4096, got 1.5"},
           Case{R"({"cpus": 4.0})", "\"cpus\" must be a whole number from 0 to 4096"},
           Case{R"({"cpus": "4"})", "\"cpus\" must be a whole number from 0 to 4096, got \"4\""},
           Case{R"({"cpus": true})", "\"cpus\" must be a whole number from 0 to 4096"},
           Case{R"({"cpus": 4097})", "\"cpus\" must be a whole number from 0 to 4096, got 4097"},
           Case{R"({"cpus": 18446744073709551615})", "\"cpus\" must be a whole number from 0 to 4096"},
           Case{R"({"memory_mib": -8000})", "\"memory_mib\" must be a whole number from 0 to 1073741824"},
           Case{R"({"memory_mib": 1073741825})", "\"memory_mib\" must be a whole number from 0 to 1073741824"},
           Case{R"({"gpus": 65})", "\"gpus\" must be a whole number from 0 to 64, got 65"},
           Case{R"({"gpus": null})", "\"gpus\" must be a whole number from 0 to 64, got null"},
           Case{R"({"partition": "gpu nodes"})", "\"partition\" must be a Slurm partition name"},
           Case{R"({"partition": "gpu\"; rm -rf /"})", "\"partition\" must be a Slurm partition name"},
           Case{R"({"partition": "it's"})", "\"partition\" must be a Slurm partition name"},
           Case{R"({"partition": "a,b"})", "\"partition\" must be a Slurm partition name"},
           Case{R"x({"partition": "$(id)"})x", "\"partition\" must be a Slurm partition name"},
           Case{R"({"partition": ""})", "\"partition\" must be a Slurm partition name"},
           Case{R"({"partition": 5})", "\"partition\" must be a Slurm partition name"},
           Case{R"({"exclusive": "true"})", "\"exclusive\" must be true or false"},
           Case{R"({"exclusive": 1})", "\"exclusive\" must be true or false"},
       }) {
    const std::string text = std::string(R"({"ml.g4dn.xlarge": {"cpus": 2}, "ml.c5.xlarge": )") + c.entry + "}";
    const std::string m = user_error(text);
    EXPECT_TRUE(contains(m, kSource + " \"ml.c5.xlarge\": ")) << c.entry << ": " << m;
    EXPECT_TRUE(contains(m, c.says)) << c.entry << ": " << m;
  }
}

TEST(SlurmParsers, TheDefaultTableKnowsEverySageMakerTypeAsAWholeNode) {
  const InstanceResourceTable t;
  for (const char* type : {"ml.c5.xlarge", "ml.p3.2xlarge"}) {
    const InstanceResources& r = t.resolve(type);
    EXPECT_TRUE(r.exclusive) << type;
    EXPECT_EQ(r.partition, "") << type;
    EXPECT_EQ(r.cpus, 0) << type;
    EXPECT_EQ(r.memory_mib, 0) << type;
    EXPECT_EQ(r.gpus, 0) << type;
  }
  const auto known = t.known();
  EXPECT_GT(known.size(), 20u);
  for (const auto& type : known) {
    EXPECT_EQ(type.rfind("ml.", 0), 0u) << type;
    EXPECT_TRUE(t.resolve(type).exclusive) << type;
  }
  EXPECT_EQ(error_of([&] { t.resolve("local"); }).type(), "ValidationException");
  // A mapping file replaces the default table: only its types are known.
  const auto file = InstanceResourceTable::parse(R"({"ml.c5.xlarge": {"cpus": 4}})", kSource);
  EXPECT_EQ(file.known(), std::vector<std::string>{"ml.c5.xlarge"});
  EXPECT_EQ(error_of([&] { file.resolve("ml.p3.2xlarge"); }).type(), "ValidationException");
}

}  // namespace
}  // namespace segmaker::api
