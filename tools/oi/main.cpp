// oi: runs, validates and inspects OpenInspect pipelines and plugins.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "commands.hpp"
#include "oi/version.hpp"
#include "suggest.hpp"

namespace {

// The largest values the numeric options take: beyond them a value is a typo, not a wish.
constexpr std::uint64_t kMaxFramesLimit = std::uint64_t{1} << 53;
constexpr std::uint64_t kMaxThreads = 1024;

// A whole number in [low, high], written in plain digits: CLI11's own conversion would wrap
// "-5" around to 2^64 - 5 for an unsigned option and take overflowing text.
CLI::Validator count_in(std::uint64_t low, std::uint64_t high) {
  return CLI::Validator(
      [low, high](std::string& text) -> std::string {
        std::uint64_t value = 0;
        const char* end = text.data() + text.size();
        const auto [ptr, ec] = std::from_chars(text.data(), end, value);
        if (text.empty() || ptr != end || ec != std::errc())
          return "'" + text + "' is not a whole number from " + std::to_string(low) + " to " +
                 std::to_string(high);
        if (value < low || value > high)
          return text + " is out of range: use " + std::to_string(low) + " to " + std::to_string(high);
        return {};
      },
      "INT in [" + std::to_string(low) + " - " + std::to_string(high) + "]");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace oi::cli;
  CLI::App app{"OpenInspect: run and inspect inspection pipelines.", "oi"};
  app.require_subcommand(1);
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));

  RunArgs run;
  auto* run_cmd =
      app.add_subcommand("run", "Run a pipeline until its sources end (Ctrl-C drains and stops).");
  run_cmd->add_option("pipeline", run.pipeline, "Pipeline YAML file")->required();
  run_cmd->add_option("--set", run.sets, "Override a parameter: NODE.PARAM=VALUE (repeatable)");
  run_cmd->add_option("--max-frames", run.max_frames, "Stop each source once it has emitted N frames")
      ->check(count_in(0, kMaxFramesLimit));
  run_cmd->add_option("--stats", run.stats_file, "Write per-stage and per-connection metrics as JSON");
  run_cmd->add_option("--resources", run.resources_file,
                      "Write a JSON line every --resources-every seconds (and one at the end) with the GPU "
                      "device's memory and object counters (for soak runs, docs/reliability.md)");
  run_cmd->add_option("--resources-every", run.resources_every, "Seconds between --resources lines")
      ->check(CLI::Range(0.1, 3600.0));
  run_cmd->add_option("--threads", run.threads, "Worker threads (default: one per core)")
      ->check(count_in(0, kMaxThreads));
  run_cmd->add_flag("--quiet,-q", run.quiet, "Print errors only");

  std::string validate_file;
  std::vector<std::string> validate_sets;
  auto* validate_cmd = app.add_subcommand("validate", "Check a pipeline file without running it.");
  validate_cmd->add_option("pipeline", validate_file, "Pipeline YAML file")->required();
  validate_cmd->add_option("--set", validate_sets, "Override a parameter: NODE.PARAM=VALUE (repeatable)");

  bool plugins_json = false;
  auto* plugins_cmd = app.add_subcommand("plugins", "List plugins found, loaded or not, with their types.");
  plugins_cmd->add_flag("--json", plugins_json, "Machine-readable output");

  std::string inspect_name;
  bool inspect_json = false;
  auto* inspect_cmd = app.add_subcommand("inspect", "Show a stage or driver type: ports and parameters.");
  inspect_cmd->add_option("type", inspect_name, "Type name, e.g. sink.image")->required();
  inspect_cmd->add_flag("--json", inspect_json, "Machine-readable output");

  std::string reference_file;
  auto* reference_cmd = app.add_subcommand("reference", "Write the Markdown reference of every loaded type.");
  reference_cmd->add_option("output", reference_file, "Markdown file to write ('-' for stdout)")->required();

  bool gpu_json = false;
  auto* gpu_cmd = app.add_subcommand("gpu", "List Vulkan devices, and which one GPU stages use and why.");
  gpu_cmd->add_flag("--json", gpu_json, "Machine-readable output");

  bool devices_json = false;
  auto* devices_cmd = app.add_subcommand(
      "devices", "List the devices every driver plugin can see, with the URI that opens each.");
  devices_cmd->add_flag("--json", devices_json,
                        "Machine-readable output: [{driver, uri, vendor, model, serial}]");

  std::string calibrate_dataset, calibrate_output;
  double calibrate_sigma_max = 0.2;
  auto* calibrate_cmd = app.add_subcommand("calibrate-materials",
                                           "Fit R = A_low/A_high against A_high per material on step-wedge "
                                           "scans; write the calibration xray.materials loads.");
  calibrate_cmd
      ->add_option("dataset", calibrate_dataset,
                   "Data set folder written by sink.dataset (wedge scans with ground truth)")
      ->required();
  calibrate_cmd->add_option("--output,-o", calibrate_output,
                            "Calibration JSON to write (default DATASET/material_calibration.json)");
  calibrate_cmd->add_option("--sigma-max", calibrate_sigma_max,
                            "Noise floor: largest per-pixel sigma of A a channel may have (default 0.2)");

  std::string audit_file;
  bool audit_json = false;
  auto* audit_cmd =
      app.add_subcommand("audit", "Check an audit log (re-identification searches, matches, ...).");
  audit_cmd->require_subcommand(1);
  auto* audit_verify_cmd = audit_cmd->add_subcommand(
      "verify",
      "Verify an audit log's hash chain and head: any edited, deleted or reordered record fails it.");
  audit_verify_cmd->add_option("log", audit_file, "Audit log file (JSON lines)")->required();
  audit_verify_cmd->add_flag("--json", audit_json, "Machine-readable output: {ok, records, line, problem}");

  LedgerArgs ledger;
  auto* ledger_cmd = app.add_subcommand(
      "ledger",
      "The inspection ledger: signing keys, verification, inclusion proofs, officers' verdicts "
      "(docs/integration.md).");
  ledger_cmd->require_subcommand(1);
  auto* lg_keygen =
      ledger_cmd->add_subcommand("keygen", "Write a new Ed25519 signing key (mode 0600) and KEY.pub.");
  lg_keygen->add_option("key", ledger.key, "Key file to create (never overwritten)")->required();
  auto* lg_verify = ledger_cmd->add_subcommand(
      "verify",
      "Verify a ledger's chain, head and signed checkpoints; name the first record that does not hold.");
  lg_verify->add_option("ledger", ledger.ledger, "Ledger file (JSON lines)")->required();
  lg_verify->add_option("--public-key", ledger.public_key,
                        "The site's public key (KEY.pub) the checkpoints must be signed with");
  lg_verify->add_flag(
      "--json", ledger.json,
      "Machine-readable output: {ok, records, checkpoints, unsealed, trusted_key, line, problem}");
  auto* lg_prove = ledger_cmd->add_subcommand(
      "prove", "Write an inclusion proof of a scan's inspection record in a signed Merkle tree.");
  lg_prove->add_option("ledger", ledger.ledger, "Ledger file")->required();
  lg_prove->add_option("scan", ledger.scan_id, "Scan id")->required();
  lg_prove->add_option("--output,-o", ledger.output, "Proof file to write (default: standard output)");
  auto* lg_check =
      ledger_cmd->add_subcommand("check-proof", "Check an inclusion proof on its own (without the ledger).");
  lg_check->add_option("proof", ledger.proof, "Proof file written by `oi ledger prove`")->required();
  lg_check->add_option("--public-key", ledger.public_key,
                       "The site's public key (KEY.pub) the root must be signed with");
  auto* lg_verdict = ledger_cmd->add_subcommand(
      "verdict", "Record an officer's verdict on a scan (cleared, searched, seized) in the ledger.");
  lg_verdict->add_option("ledger", ledger.ledger, "Ledger file")->required();
  lg_verdict->add_option("scan", ledger.scan_id, "Scan id (as the inspection record names it)")->required();
  lg_verdict->add_option("--verdict", ledger.verdict, "cleared, searched or seized")
      ->required()
      ->check(CLI::IsMember({"cleared", "searched", "seized"}));
  lg_verdict->add_option("--officer", ledger.officer, "The officer's id")->required();
  lg_verdict->add_option("--note", ledger.note, "Why (recorded)");
  lg_verdict->add_option("--key", ledger.key, "The ledger's signing key")->required();
  lg_verdict->add_flag("--seal", ledger.seal, "Write a signed checkpoint after the verdict");
  lg_verdict->add_option("--dicos", ledger.dicos_dir,
                         "sink.dicos's folder: write an OPERATOR TDR beside the scan's machine TDR");
  auto* lg_mqtt =
      lg_verdict->add_option("--mqtt", ledger.mqtt, "HOST:PORT of the broker: publish a verdict event");
  lg_verdict
      ->add_option("--outbox", ledger.outbox,
                   "Event outbox (SQLite; the lane's sink.mqtt outbox may be shared)")
      ->needs(lg_mqtt);
  lg_verdict->add_option("--topic-prefix", ledger.topic_prefix,
                         "Topics are PREFIX/verdict (default openinspect)");
  lg_verdict->add_option("--place", ledger.place, "place.id of the event (the lane or site id)");
  auto* lg_checkpoint =
      ledger_cmd->add_subcommand("checkpoint", "Seal every record so far with a signed checkpoint.");
  lg_checkpoint->add_option("ledger", ledger.ledger, "Ledger file")->required();
  lg_checkpoint->add_option("--key", ledger.key, "The ledger's signing key")->required();

  WatchlistArgs watchlist;
  auto* watchlist_cmd = app.add_subcommand(
      "watchlist",
      "The watchlist's entries and alerts: list them, confirm or reject an alert, purge expired entries, "
      "enrol a person seen in a run.");
  watchlist_cmd->require_subcommand(1);
  auto* wl_list = watchlist_cmd->add_subcommand("list", "List a watchlist's entries, expired ones marked.");
  wl_list->add_option("watchlist", watchlist.file, "Watchlist file (JSON)")->required();
  wl_list->add_flag("--json", watchlist.json, "Machine-readable output");
  auto* wl_alerts = watchlist_cmd->add_subcommand("alerts", "List a run's alerts with their status.");
  wl_alerts->add_option("alerts", watchlist.file, "Alerts file of a run (alerts.jsonl)")->required();
  wl_alerts->add_flag("--json", watchlist.json, "Machine-readable output");
  auto* wl_confirm = watchlist_cmd->add_subcommand(
      "confirm", "Confirm an alert as an officer; two distinct officers make it confirmed.");
  auto* wl_reject =
      watchlist_cmd->add_subcommand("reject", "Reject an alert as an officer (not the person).");
  for (CLI::App* verdict : {wl_confirm, wl_reject}) {
    verdict->add_option("alerts", watchlist.file, "Alerts file of a run (alerts.jsonl)")->required();
    verdict->add_option("alert", watchlist.alert, "Alert id, e.g. A-3")->required();
    verdict->add_option("--officer", watchlist.officer, "The officer giving the verdict")->required();
    verdict->add_option("--note", watchlist.note, "Why (recorded)");
    verdict->add_option("--audit", watchlist.audit_log, "Audit log that records the verdict")->required();
  }
  auto* wl_purge = watchlist_cmd->add_subcommand("purge", "Remove expired entries (each purge is audited).");
  wl_purge->add_option("watchlist", watchlist.file, "Watchlist file (JSON)")->required();
  wl_purge->add_option("--audit", watchlist.audit_log, "Audit log that records the purge")->required();
  auto* wl_tracklets = watchlist_cmd->add_subcommand(
      "tracklets", "List a run's stored tracklets grouped by global identity, to choose whom to enrol.");
  wl_tracklets->add_option("run", watchlist.file, "The run's alerts folder (reid.watchlist's alerts_dir)")
      ->required();
  wl_tracklets->add_flag("--json", watchlist.json, "Machine-readable output");
  auto* wl_enrol = watchlist_cmd->add_subcommand(
      "enrol", "Enrol a person seen in a run (a global identity or one tracklet) into a watchlist.");
  wl_enrol->add_option("watchlist", watchlist.file, "Watchlist file (JSON; created when missing)")
      ->required();
  wl_enrol->add_option("--from-run", watchlist.from_run,
                       "The run's alerts folder (reid.watchlist's alerts_dir)");
  auto* wl_identity = wl_enrol->add_option_function<std::int64_t>(
      "--identity", [&watchlist](const std::int64_t& id) { watchlist.identity = id; },
      "Global identity to enrol: the mean of all its stored tracklets");
  auto* wl_tracklet =
      wl_enrol->add_option("--tracklet", watchlist.tracklet, "Or one tracklet to enrol, CAMERA-TRACK");
  wl_identity->excludes(wl_tracklet);
  wl_enrol->add_option("--label", watchlist.label, "How officers refer to the person");
  wl_enrol->add_option("--legal-basis", watchlist.legal_basis,
                       "Required: the law or warrant the search rests on");
  wl_enrol->add_option("--authorised-by", watchlist.authorised_by,
                       "Required: the officer who authorises the enrolment");
  wl_enrol->add_option("--expires", watchlist.expires, "Required: expiry, UTC, e.g. 2027-01-31T00:00:00Z");
  wl_enrol->add_option("--audit", watchlist.audit_log, "Required: audit log that records the enrolment");
  wl_enrol->add_flag("--json", watchlist.json, "Machine-readable output: the entry without its embedding");

  auto* version_cmd = app.add_subcommand("version", "Print the SDK and plugin ABI versions.");

  // CLI11 answers an unknown command with "A subcommand is required", which does not say what
  // was wrong: name it, suggest the nearest, list the commands.
  // The command is the first argument that is neither an option nor --log-level's value.
  int command = 1;
  while (command < argc && argv[command][0] == '-')
    command += std::string(argv[command]) == "--log-level" ? 2 : 1;
  if (command < argc) {
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands({})) names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), argv[command]) == names.end()) {
      std::string list;
      for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
      std::fprintf(stderr, "oi: unknown command '%s'%s; the commands are %s (`oi --help` explains each)\n",
                   argv[command], oi::did_you_mean(argv[command], names).c_str(), list.c_str());
      return kExitInvalid;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    std::fprintf(stderr, "run `oi --help` or `oi <command> --help` for usage\n");
    return kExitInvalid;
  }
  // stdout carries results (tables, JSON for scripts); every log line goes to stderr.
  spdlog::set_default_logger(spdlog::stderr_color_mt("oi"));
  spdlog::set_level(spdlog::level::from_str(log_level));

  auto dispatch = [&]() -> int {
    if (*run_cmd) return run_pipeline(run);
    if (*validate_cmd) return validate_pipeline(validate_file, validate_sets);
    if (*plugins_cmd) return list_plugins(plugins_json);
    if (*inspect_cmd) return inspect_type(inspect_name, inspect_json);
    if (*reference_cmd) return write_reference(reference_file);
    if (*gpu_cmd) return list_gpus(gpu_json);
    if (*devices_cmd) return list_devices(devices_json);
    if (*calibrate_cmd) return calibrate_materials(calibrate_dataset, calibrate_output, calibrate_sigma_max);
    if (*audit_verify_cmd) return verify_audit(audit_file, audit_json);
    if (*ledger_cmd) {
      for (CLI::App* action : ledger_cmd->get_subcommands())
        if (*action) ledger.action = action->get_name();
      return ledger_command(ledger);
    }
    if (*watchlist_cmd) {
      for (CLI::App* action : watchlist_cmd->get_subcommands())
        if (*action) watchlist.action = action->get_name();
      return watchlist_command(watchlist);
    }
    if (*version_cmd) {
      std::printf("oi %s (plugin ABI %u)\n", oi::kSdkVersion, oi::kPluginAbiVersion);
      return kExitOk;
    }
    return kExitInvalid;
  };
  // Commands report their own errors; this is the last line of defence against a crash with
  // no message (e.g. a plugin returning data the tool did not expect).
  try {
    return dispatch();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitRuntime;
  }
}
