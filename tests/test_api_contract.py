"""Every point of the API contract, each mapped to the tests that cover it.

The contract (`api-contract.md`: what the sandbox emulates and the providers speak, [doc] and
[model] facts per section) is kept outside the repository, so it is not read here: its points
are copied below as data, one short line each, in the contract's sections and order. Inside the
repository the contract is encoded as OpenAPI 3.1 in `schemas/api/*.openapi.yaml`, and a point
that lives in an operation names it (`prevail GET /sessions`).

What fails, and why it keeps the index honest:
- a section of the contract with no point (the section headings are copied in `SECTIONS`);
- a point with no test, or a test named here that no longer exists (the test files are parsed
  with `ast`, never imported): removing or renaming a test loses its coverage loudly;
- a named test whose docstring, or whose module's docstring, no longer cites `api-contract.md`;
- a point naming an operation its spec does not have, and an operation of a spec (other than
  the sandbox's admin API) that no point names: a new endpoint needs its point and its test.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "schemas" / "api"
METHODS = ("get", "put", "post", "delete", "patch")
ADMIN_TAG = "sandbox admin"  # served only with the sandbox's admin API on; not the contract

RULES = "Two rules for the clients"
SANDBOX = "The sandbox"
PREVAIL = "Prevail — sessions"
PROSPERO = "Prospero — events"
PREVISTO = "Previsto — assignment metadata"
SECTIONS = (RULES, SANDBOX, PREVAIL, PROSPERO, PREVISTO)


@dataclass(frozen=True)
class Point:
    section: str
    text: str
    tests: tuple[str, ...]
    operations: tuple[str, ...] = ()  # "<spec> <METHOD> <path>", e.g. "prevail GET /sessions"


def in_file(path: str) -> Callable[..., tuple[str, ...]]:
    def nodes(*names: str) -> tuple[str, ...]:
        return tuple(f"tests/{path}::{name}" for name in names)

    return nodes


sandbox_cli = in_file("sandbox/test_cli_sandbox.py")
sandbox_points = in_file("sandbox/test_contract_points.py")
prevail_api = in_file("sandbox/prevail/test_api.py")
prevail_docs = in_file("sandbox/prevail/test_docs_facts.py")
prevail_points = in_file("sandbox/prevail/test_contract_points.py")
prospero_api = in_file("sandbox/prospero/test_api.py")
prospero_points = in_file("sandbox/prospero/test_contract_points.py")
prospero_webhooks = in_file("sandbox/prospero/test_webhooks.py")
prospero_webhook_faults = in_file("sandbox/prospero/test_webhook_faults.py")
previsto_api = in_file("sandbox/previsto/test_api.py")
previsto_docs = in_file("sandbox/previsto/test_documented.py")
previsto_points = in_file("sandbox/previsto/test_contract_points.py")
client_prevail = in_file("providers/test_prevail.py")
client_prospero = in_file("providers/test_prospero_docs.py")
client_previsto = in_file("providers/test_previsto.py")
client_points = in_file("providers/test_contract_points.py")
listing = in_file("providers/test_listing.py")
marker = in_file("providers/test_marker.py")
token = in_file("providers/test_prospero_token.py")
docs_prevail = in_file("e2e/test_docs_prevail.py")
docs_prospero = in_file("e2e/test_docs_prospero.py")
docs_previsto = in_file("e2e/test_docs_previsto.py")
spellings = in_file("e2e/test_prevail_spellings.py")
acceptance = in_file("e2e/test_acceptance.py")
fault_matrix = in_file("e2e/test_fault_matrix.py")("test_fault_matrix")
rate_limits = in_file("e2e/test_rate_limits.py")
session_fields = in_file("config/test_session_fields.py")
config_loader = in_file("config/test_loader.py")
diff = in_file("engine/test_diff.py")
doctor = in_file("cli/test_doctor.py")
zones = in_file("test_zones.py")
transport = in_file("test_transport.py")
create_paths = in_file("e2e/test_create_paths.py")
packaging = in_file("test_packaging.py")
fingerprint = in_file("engine/test_fingerprint.py")
patching = in_file("sandbox/prospero/test_patching.py")
prospero_errors = in_file("sandbox/prospero/test_errors.py")
secrets = in_file("security/test_secrets.py")
importer = in_file("engine/test_importer.py")
refresh_cost = in_file("engine/test_refresh_cost.py")
refresh_windows = in_file("engine/test_refresh_windows.py")
convergence = in_file("e2e/test_convergence.py")
converging = in_file("e2e/test_convergence_property.py")
permissions = in_file("e2e/test_permissions.py")

POINTS = (
    # -- the two rules for the clients ----------------------------------------------------------
    Point(RULES, "the clients speak exactly what the docs show", docs_prevail(
        "test_sessions_are_created_edited_and_cancelled_with_the_documented_calls",
    ) + docs_prospero("test_plan_apply_and_plan_again_speak_only_the_documented_api")
        + docs_previsto("test_plan_apply_and_a_converged_plan_against_the_documented_api")),
    Point(RULES, "tolerant reader: a field is read under every documented name", client_prevail(
        "test_older_field_names_are_read_and_each_fallback_is_logged_once",
    ) + docs_previsto("test_the_docs_error_example_reaches_the_user_as_its_message")
        + spellings("test_a_pending_request_is_not_submitted_again_and_fallbacks_show_at_v")),
    Point(RULES, "tolerant reader: a list without paging fields is accepted", client_prevail(
        "test_a_list_without_pagy_is_read_until_a_page_adds_nothing",
    ) + client_previsto(
        "test_without_x_total_count_pages_are_read_until_a_short_one",
        "test_a_server_that_serves_fewer_than_asked_is_paged_by_what_it_serves",
    )),
    Point(RULES, "the documented call is preferred over the modelled one", docs_prospero(
        "test_deletes_go_in_bulk_at_most_one_hundred_ids_a_request",
        "test_a_server_refusing_the_modelled_parameters_is_asked_with_the_window_alone",
    )),
    Point(RULES, "nothing [model] is relied on without a fallback for a server without it",
          docs_prevail("test_a_pending_request_without_an_id_is_held_back_until_scheduled")
          + client_prevail("test_a_create_answer_is_read_with_or_without_an_envelope")
          + listing("test_an_answer_larger_than_the_page_size_shows_the_size_is_ignored")),
    Point(RULES, "the emulators follow the docs first; [model] never changes a documented one",
          prospero_api("test_paging_with_limit_offset_and_total")
          + prevail_docs("test_a_request_shows_its_state_as_session_state")
          + previsto_docs("test_by_default_a_page_is_at_most_100")),
    # -- the sandbox ----------------------------------------------------------------------------
    Point(SANDBOX, "`reconciler sandbox` serves one app: /prevail, /prospero, /previsto",
          sandbox_cli("test_sandbox_process_prints_urls_and_credentials_and_keeps_state",
                      "test_no_seed_starts_every_emulator_empty_with_working_credentials")),
    Point(SANDBOX, "`--db` is a SQLite file that keeps the state across restarts", sandbox_cli(
        "test_sandbox_process_prints_urls_and_credentials_and_keeps_state",
    ) + prevail_api("test_restart_keeps_objects_and_seeds_once")
        + prospero_api("test_seeding_is_idempotent_and_everything_survives_a_restart")
        + previsto_api("test_a_restart_on_the_same_file_keeps_everything_and_seeds_nothing")),
    Point(SANDBOX, "without `--db` the state is in memory",
          sandbox_points("test_without_a_db_file_nothing_outlives_the_sandbox")),
    Point(SANDBOX, "fixed credentials, printed at start-up and documented in the README",
          sandbox_points("test_every_credential_printed_at_start_up_is_in_the_readme_and_works")
          + sandbox_cli("test_sandbox_process_prints_urls_and_credentials_and_keeps_state")),
    Point(SANDBOX, "Prevail: company_id `sandbox-co`, key `sandbox-prevail-key`",
          prevail_api("test_bearer_token_is_accepted")
          + sandbox_points("test_every_credential_printed_at_start_up_is_in_the_readme_and_works")),
    Point(SANDBOX, "Prospero: `sandbox@prospero.test` / `sandbox-prospero-password`",
          prospero_api("test_login_sets_both_tokens_as_http_only_cookies")),
    Point(SANDBOX, "Prospero: access token `sandbox-prospero-token` never expires", prospero_api(
        "test_access_token_expires_after_its_ttl", "test_whoami_with_bearer_and_with_cookie")),
    Point(SANDBOX, "Prospero: refresh token `sandbox-prospero-refresh`",
          prospero_api("test_refresh_sets_a_new_working_access_token")),
    Point(SANDBOX, "Previsto: key `sk_sandbox`", previsto_api(
        "test_the_credentials_are_the_documented_keys",
        "test_the_full_key_reads_the_seeded_assignments",
    )),
    Point(SANDBOX, "seed data: unmanaged objects and Previsto assignments",
          prevail_api("test_demo_seed_is_unmanaged")
          + prospero_api("test_demo_org_is_seeded_with_unmanaged_events_and_one_archived")
          + previsto_api("test_the_seed_has_the_documented_metadata")),
    Point(SANDBOX, "a demo plan shows creates, updates and untouched objects",
          sandbox_points("test_the_demo_plan_shows_creates_and_updates_and_leaves_the_rest")
          + acceptance("test_unmanaged_objects_are_never_touched")),
    Point(SANDBOX, "`--sandbox` on plan/apply/drift/import: in-process, `.reconciler/sandbox.db`",
          sandbox_points(
              "test_the_embedded_sandbox_plans_applies_and_converges_from_its_default_file")
          + packaging("test_plan_and_apply_run_from_the_unpacked_wheel")
          + fingerprint("test_the_embedded_sandbox_is_one_endpoint_whatever_its_port")),
    Point(SANDBOX, "faults are injectable for tests, not exposed by default",
          sandbox_points("test_the_fault_api_is_served_only_when_asked_for")),
    Point(SANDBOX, "fault: status storms (429/5xx)", prevail_api(
        "test_status_fault_answers_in_prevails_shape_with_retry_after",
        "test_server_error_fault_is_prevails_500",
    ) + prospero_api(
        "test_status_fault_answers_with_prospero_error_and_retry_after",
        "test_server_error_fault_is_in_prospero_shape",
    ) + previsto_api("test_an_injected_status_answers_previstos_error_and_retry_after")
        + fault_matrix),
    Point(SANDBOX, "fault: latency", prevail_api("test_latency_fault_delays_but_answers")
          + prospero_api("test_latency_fault_delays_the_answer")
          + previsto_api("test_latency_delays_but_answers") + fault_matrix),
    Point(SANDBOX, "fault: connection reset", prevail_api("test_reset_fault_loses_the_request")
          + prospero_api("test_reset_fault_drops_the_request_before_it_is_handled")
          + previsto_api("test_a_reset_connection_stores_nothing") + fault_matrix),
    Point(SANDBOX, "fault: commit-then-drop (stored, the response lost)",
          prevail_api("test_drop_fault_stores_the_write_but_loses_the_response")
          + prospero_api("test_drop_fault_stores_the_write_but_loses_the_response")
          + previsto_api("test_a_dropped_response_still_stores_the_write")
          + create_paths("test_drop_after_commit_on_create_leaves_one_object")
          + fault_matrix),
    Point(SANDBOX, "fault: malformed JSON", prevail_api("test_malformed_fault_cuts_the_json")
          + prospero_api("test_malformed_fault_cuts_the_json")
          + previsto_api("test_a_malformed_body_is_cut_off_json") + fault_matrix),
    Point(SANDBOX, "fault: a page that changes between two page reads",
          prevail_api("test_churn_shifts_the_list_between_page_reads")
          + prospero_api("test_churn_fault_shifts_the_next_page")
          + previsto_api("test_churn_puts_a_new_unmanaged_assignment_at_the_head")
          + fault_matrix),
    # -- Prevail --------------------------------------------------------------------------------
    Point(PREVAIL, "base URL `https://prevail.ai/api/v1` [doc]",
          client_points("test_the_prevail_base_url_defaults_to_the_documented_one")),
    Point(PREVAIL, "auth: HS256 JWT over {exp, slug} with the key, as `Authorization: Bearer`",
          prevail_api("test_bearer_token_is_accepted") + client_points(
              "test_prevail_tokens_live_at_most_five_minutes_and_are_reminted_before_they_expire")),
    Point(PREVAIL, "auth: the token as `?jwt_payload=`",
          prevail_api("test_query_token_is_accepted")),
    Point(PREVAIL, "auth: the token as `jwt_payload` in a POST body", prevail_api(
        "test_body_token_is_accepted_and_not_an_unknown_field", "test_body_token_works_on_cancel",
        "test_body_token_must_be_a_string",
    )),
    Point(PREVAIL, "auth: missing, bad signature, unknown slug, expired, alg not HS256 → 401",
          prevail_api("test_bad_tokens_are_401", "test_bad_body_token_is_401",
                      "test_token_expiry_follows_the_sandbox_clock")
          + acceptance("test_wrong_credentials_fail_cleanly_per_provider")),
    Point(PREVAIL, "[model] the client mints a token with exp ≤ now + 300 s, re-mints in time",
          client_points(
              "test_prevail_tokens_live_at_most_five_minutes_and_are_reminted_before_they_expire")
          + doctor("test_every_check_holds_on_the_sandbox_and_nothing_is_written")),
    Point(PREVAIL, "methods GET, POST, PATCH only; no DELETE (cancel is a PATCH)", prevail_api(
        "test_delete_is_405_everywhere", "test_other_methods_are_405_with_allow",
    ) + docs_prevail("test_sessions_are_created_edited_and_cancelled_with_the_documented_calls")),
    Point(PREVAIL, "POST /sessions is self-service: `ready`, remote_session_id and session_url",
          prevail_api("test_self_service_create_is_ready_with_ids")
          + client_prevail("test_the_docs_create_examples_are_read_back_as_declared_fields"),
          ("prevail POST /sessions",)),
    Point(PREVAIL, "POST /session_requests, same body: `initial`, both ids null", prevail_api(
        "test_session_request_is_pending_without_session_ids",
        "test_session_request_validates_like_create",
    ) + prevail_docs("test_a_request_shows_its_state_as_session_state"),
        ("prevail POST /session_requests",)),
    Point(PREVAIL, "create body: {session_request: {invites, deponent, remote_session, ...}}",
          prevail_api("test_self_service_create_is_ready_with_ids", "test_shape_errors_are_400",
                      "test_invalid_values_are_422")
          + prevail_docs("test_the_docs_own_create_examples_are_accepted")
          + docs_prevail(
              "test_sessions_are_created_edited_and_cancelled_with_the_documented_calls")),
    Point(PREVAIL, "[model] create → 201 {session}; the client reads it with or without it",
          prevail_api("test_self_service_create_is_ready_with_ids")
          + client_prevail("test_a_create_answer_is_read_with_or_without_an_envelope")),
    Point(PREVAIL, "`remote_session.case` is required", prevail_docs("test_case_is_required")
          + session_fields("test_case_is_required")),
    Point(PREVAIL, "`estimated_duration` is optional (the docs' example leaves it out)",
          prevail_api("test_optional_parts_may_be_left_out")
          + prevail_docs("test_the_docs_own_create_examples_are_accepted")
          + docs_prevail("test_the_plan_json_records_the_documented_request_shapes")),
    Point(PREVAIL, "`deponent.role` is `deponent` or `witness`",
          prevail_docs("test_a_deponent_is_a_deponent_or_a_witness")
          + session_fields("test_a_deponent_role_is_deponent_or_witness")),
    Point(PREVAIL, "`interpreter` is a string of languages (`\"\"` for none), not a boolean",
          prevail_docs("test_interpreter_is_a_string_of_languages")
          + session_fields("test_interpreter_names_languages_and_an_old_true_is_refused_clearly")
          + spellings("test_an_older_interpreter_false_is_sent_as_no_languages")),
    Point(PREVAIL, "`invite_emails` is accepted as `invites` (create and edit); client: `invites`",
          prevail_docs("test_invite_emails_is_read_as_invites",
                       "test_an_edit_takes_invite_emails_as_invites") + docs_prevail(
              "test_sessions_are_created_edited_and_cancelled_with_the_documented_calls")),
    Point(PREVAIL, "[model] a request has a `request_id`; the sandbox promotes it to scheduled",
          prevail_api("test_promote_schedules_a_request_as_a_session",
                      "test_promote_unknown_request_is_404"),
          ("prevail POST /session_requests/{request_id}/promote",)),
    Point(PREVAIL, "a request's state is `session_state`; the client reads it or `state`",
          prevail_docs("test_a_request_shows_its_state_as_session_state")
          + docs_prevail("test_a_pending_request_is_found_again_by_its_session_state")
          + client_prevail("test_older_field_names_are_read_and_each_fallback_is_logged_once")),
    Point(PREVAIL, "states: initial, scheduled, ready, active, canceled",
          prevail_points("test_every_documented_state_is_a_state_and_filters_the_lists")),
    Point(PREVAIL, "zones: Prevail's (Rails) names and IANA names; [model] returned as sent",
          prevail_api("test_prevail_and_iana_zone_names_are_returned_as_sent",
                      "test_every_name_in_the_time_zone_file_is_accepted")),
    Point(PREVAIL, "zones: Rails' display form `(GMT-05:00) ...`, read by emulator and client",
          prevail_docs("test_rails_names_and_their_display_form_are_accepted")
          + session_fields("test_a_zone_in_rails_display_form_is_valid")
          + zones("test_every_spelling_of_a_zone_is_one_zone")
          + doctor("test_docs_shaped_prevail_holds_with_its_display_form_zone")),
    Point(PREVAIL, "zones: the client treats every spelling of one zone as equal",
          spellings("test_every_spelling_of_one_zone_plans_no_change")
          + zones("test_prevail_names_and_aliases_meet_at_one_spelling")),
    Point(PREVAIL, "zones: Rails 8.1's MAPPING (152) + 2 from main, as data, pinned by a test",
          zones("test_the_prevail_table_is_rails_8_1_plus_the_two_names_of_rails_main",
                "test_every_prevail_zone_loads_in_zoneinfo")
          + prevail_api("test_time_zone_file_maps_every_rails_name_to_iana")),
    Point(PREVAIL, "zones: `Astana` → Asia/Almaty, `Asuncion` → America/Asuncion",
          zones("test_astana_is_almaty_an_hour_from_dhaka_since_2024")
          + prevail_docs("test_the_time_window_reads_astana_as_almaty") + spellings(
              "test_astana_declared_as_asia_almaty_at_the_same_wall_clock_is_no_change",
              "test_a_session_declared_in_asuncion_is_created_and_then_converged")),
    Point(PREVAIL, "GET /sessions: page (1-based), per_page (100, ≤ 1000) → {pagy, sessions}",
          prevail_api("test_list_defaults_to_100_per_page",
                      "test_page_walk_sees_every_session_once_in_creation_order",
                      "test_empty_list_has_zero_pages")
          + client_prevail("test_the_docs_page_example_is_read_with_its_paging"),
          ("prevail GET /sessions",)),
    Point(PREVAIL, "GET /session_requests: the same list, under `session_requests`",
          prevail_api("test_session_request_is_pending_without_session_ids",
                      "test_bad_list_parameters_are_400"),
          ("prevail GET /session_requests",)),
    Point(PREVAIL, "[model] per_page > 1000 is clamped to 1000 (pagy.items says so)",
          prevail_api("test_per_page_above_1000_is_clamped")),
    Point(PREVAIL, "[model] a page past the last is empty",
          prevail_api("test_page_past_the_last_is_empty_with_the_same_pagy")),
    Point(PREVAIL, "[model] `?state=` filters", prevail_api("test_state_filter")
          + prevail_points("test_every_documented_state_is_a_state_and_filters_the_lists")),
    Point(PREVAIL, "`?start_time=` keeps sessions starting after it, `?end_time=` ending before",
          prevail_api("test_time_window_uses_each_sessions_own_zone",
                      "test_time_window_finds_sessions_whose_local_day_is_not_utcs")
          + prevail_docs("test_end_time_keeps_the_sessions_that_end_before_it")
          + convergence("test_a_long_session_is_read_back_though_its_duration_is_not_declared")
          + prevail_docs("test_the_time_window_reads_astana_as_almaty")
          + refresh_windows("test_sessions_at_the_sandbox_windows_edges",
                            "test_sessions_at_the_docs_shaped_windows_edges")
          + client_prevail("test_a_server_that_ignores_the_window_is_listed_without_it",
                           "test_a_server_that_refuses_the_window_is_listed_without_it")),
    Point(PREVAIL, "session fields [doc] and [model] case, invites, deponent, ..., updated_at",
          prevail_api("test_self_service_create_is_ready_with_ids", "test_get_one_session")
          + client_prevail("test_the_docs_create_examples_are_read_back_as_declared_fields"),
          ("prevail GET /sessions/{remote_session_id}",)),
    Point(PREVAIL, "edit: PATCH {remote_session: subset} → 200 {sessions: [session]}",
          prevail_api("test_edit_changes_fields_and_updated_at",
                      "test_edit_that_changes_nothing_keeps_updated_at") + docs_prevail(
              "test_sessions_are_created_edited_and_cancelled_with_the_documented_calls"),
          ("prevail PATCH /sessions/{remote_session_id}",)),
    Point(PREVAIL, "edit: only in state `scheduled` or `ready`", prevail_api(
        "test_only_scheduled_or_ready_sessions_can_be_edited",
        "test_scheduled_session_can_be_edited",
    ) + docs_prevail("test_a_pending_request_without_an_id_is_held_back_until_scheduled")),
    Point(PREVAIL, "edit: start_date, start_time and time_zone are sent together",
          prevail_api("test_start_fields_must_change_together") + docs_prevail(
              "test_sessions_are_created_edited_and_cancelled_with_the_documented_calls")),
    Point(PREVAIL, "edit: invitees added, never removed (removing = cancel, schedule anew)",
          prevail_api("test_edit_adds_invitees_and_never_removes_them")
          + client_points("test_removing_an_invitee_cancels_the_session_and_schedules_it_anew")),
    Point(PREVAIL, "[model] breaking an edit rule → 422", prevail_api(
        "test_edit_value_errors_are_422", "test_start_fields_must_change_together",
        "test_only_scheduled_or_ready_sessions_can_be_edited",
    )),
    Point(PREVAIL, "cancel: PATCH .../cancel?cancel_without_email → 200 {messages}, `canceled`",
          prevail_api("test_cancel", "test_cancel_bad_input_is_400") + docs_prevail(
              "test_sessions_are_created_edited_and_cancelled_with_the_documented_calls"),
          ("prevail PATCH /sessions/{remote_session_id}/cancel",)),
    Point(PREVAIL, "cancel: allowed in `initial`, `scheduled`, `ready` only",
          prevail_points("test_each_cancelable_state_cancels") + prevail_api(
              "test_cancel_a_pending_request_by_its_request_id",
              "test_cancel_in_other_states_is_422")),
    Point(PREVAIL, "[model] marker `reconciler-key: <key>`, last line of additional_details",
          marker("test_prevail_keeps_the_key_on_the_last_line_and_the_scope_above_it",
                 "test_prevail_reads_a_marker_of_before_scopes_and_unmarked_text")),
    Point(PREVAIL, "hosts: a host without a registered account is stored as a participant",
          prevail_docs("test_a_host_without_a_registered_account_is_made_a_participant")
          + client_prevail("test_the_docs_create_examples_are_read_back_as_declared_fields")),
    Point(PREVAIL, "the client converges: a host held as a participant is said once, not re-sent",
          convergence("test_a_host_without_an_account_is_said_once_not_planned_again",
                      "test_the_docs_shaped_prevail_downgrades_a_host_and_the_plan_converges")
          + converging("test_any_declared_objects_converge_after_one_apply")),
    Point(PREVAIL, "webhook: a signed JWT to `postback_url`; [model] posted on promotion",
          prevail_api("test_promote_posts_a_signed_session_to_the_postback_url",
                      "test_failed_postback_does_not_fail_the_promotion")),
    Point(PREVAIL, "errors 400, 401, 404, 422, 500; [model] body {error, details}", prevail_api(
        "test_shape_errors_are_400", "test_invalid_values_are_422",
        "test_all_problems_are_reported_at_once", "test_unknown_session_is_404",
        "test_unknown_paths_are_404_in_prevails_shape",
    )),
    Point(PREVAIL, "500 is transient: wait a few moments and retry",
          prevail_api("test_unexpected_failure_is_prevails_transient_500") + fault_matrix),
    # -- Prospero -------------------------------------------------------------------------------
    Point(PROSPERO, "health: GET / → 200 `Hello, Prospero!`",
          prospero_api("test_health_needs_no_credentials"), ("prospero GET /",)),
    Point(PROSPERO, "POST /auth/login {email, password} → 200, both tokens in Set-Cookie",
          prospero_api("test_login_sets_both_tokens_as_http_only_cookies",
                       "test_login_with_bad_credentials_is_401", "test_login_body_validation"),
          ("prospero POST /auth/login",)),
    Point(PROSPERO, "every request sends the access token in the `Cookie` header", prospero_api(
        "test_whoami_with_bearer_and_with_cookie", "test_every_api_route_needs_an_access_token",
        "test_bad_access_tokens_are_401",
    ) + docs_prospero("test_plan_apply_and_plan_again_speak_only_the_documented_api")),
    Point(PROSPERO, "the access token lasts 1 hour, then 401",
          prospero_api("test_access_token_expires_after_its_ttl")),
    Point(PROSPERO, "GET /auth/refresh with the refresh cookie → a new access token",
          prospero_api("test_refresh_sets_a_new_working_access_token"),
          ("prospero GET /auth/refresh",)),
    Point(PROSPERO, "the refresh token lasts 7 days; then 400 \"Unable to verify refresh token\"",
          prospero_api("test_refresh_token_expires_after_seven_days",
                       "test_refresh_without_a_valid_refresh_token_is_400")),
    Point(PROSPERO, "[model] cookie names; Bearer accepted too; TTLs configurable", prospero_api(
        "test_whoami_with_bearer_and_with_cookie", "test_token_lifetimes_follow_the_settings",
    )),
    Point(PROSPERO, "the client logs in (or refreshes) once per run, refreshes once on a 401",
          token("test_threads_that_meet_an_expired_token_share_one_refresh")
          + client_points(
              "test_a_prospero_run_with_a_refresh_token_refreshes_once_and_never_logs_in")),
    Point(PROSPERO, "GET /auth/whoami → [model] {user: {id, email, name, orgId}}",
          prospero_api("test_whoami_with_bearer_and_with_cookie"), ("prospero GET /auth/whoami",)),
    Point(PROSPERO, "identifiers are v1 UUIDs", prospero_api(
        "test_create_one_event_returns_its_full_state", "test_admin_seed_validation",
    ) + docs_prospero("test_the_documented_payloads_are_read_as_they_are")),
    Point(PROSPERO, "dates: ISO 8601 in UTC only (or date-only); any other offset → 400",
          prospero_api("test_create_validation",
                       "test_fractional_seconds_are_accepted_and_returned_canonical",
                       "test_all_day_events_may_use_dates", "test_patch_date_only_needs_all_day")
          + listing("test_the_split_falls_between_the_starts_an_answer_shows")),
    Point(PROSPERO, "camelCase; one entity wrapped {event}, a list {events}",
          prospero_api("test_create_one_event_returns_its_full_state")
          + docs_prospero("test_the_documented_payloads_are_read_as_they_are"),
          ("prospero GET /events/{id}",)),
    Point(PROSPERO, "read-only `id`, `orgId`, `createdAt`, `lastUpdatedAt`", prospero_api(
        "test_create_validation", "test_patch_validation", "test_admin_seed_fills_server_fields",
    )),
    Point(PROSPERO, "updates set only the fields passed; the rest is unchanged", prospero_api(
        "test_patch_merges_objects_and_null_removes",
        "test_patch_updates_last_updated_only_on_change",
    ) + acceptance("test_one_changed_field_is_one_patch_of_that_field")),
    Point(PROSPERO, "GET /events: the unarchived events as {events: [...]}", prospero_api(
        "test_paging_with_limit_offset_and_total", "test_delete_one_moves_it_to_the_archive",
    ), ("prospero GET /events",)),
    Point(PROSPERO, "GET /events: only window_start/window_end [doc], overlapping events",
          prospero_api("test_window_returns_overlapping_events")
          + listing("test_objects_all_under_way_at_one_instant_are_not_split_forever")
          + docs_prospero("test_import_and_adopt_list_all_of_time_by_windows")
          + refresh_windows("test_events_at_the_sandbox_windows_edges",
                            "test_events_at_the_docs_shaped_windows_edges")),
    Point(PROSPERO, "[model] `order=lastUpdatedAt:desc|asc`", prospero_api(
        "test_order_by_last_update", "test_order_by_fields",
        "test_order_by_start_compares_instants_not_text",
    )),
    Point(PROSPERO, "[model] equality filters on fields and `customFields.<name>`", prospero_api(
        "test_equality_filters", "test_filter_by_id_and_timestamps",
        "test_list_refuses_bad_query_parameters",
    )),
    Point(PROSPERO, "[model] `limit` (≤ 500), `offset`, `total`; without `limit`, every match",
          prospero_api("test_paging_with_limit_offset_and_total",
                       "test_list_refuses_bad_query_parameters",
                       "test_ten_thousand_events_seed_and_page_completely")),
    Point(PROSPERO, "the client lists a documented server by windows, narrowing cut-off ones",
          docs_prospero(
              "test_an_answer_cut_off_at_a_silent_cap_is_split_until_every_event_is_found")
          + listing("test_a_silently_capped_list_is_listed_whole_whatever_order_the_cap_keeps",
                    "test_more_objects_at_one_second_than_the_server_answers_is_an_error")
          + client_prospero(
              "test_finding_an_event_by_key_on_a_windowed_server_lists_the_refresh_span")
          + doctor("test_docs_shaped_prospero_holds_and_its_window_listing_is_named")),
    Point(PROSPERO, "the client uses [model] paging only when the server shows it honours it",
          client_prospero("test_a_server_that_pages_as_modelled_is_listed_as_before")
          + listing("test_an_answer_reaching_the_page_size_asked_for_is_split",
                    "test_a_size_that_is_no_cap_is_tested_once_then_trusted")
          + docs_prospero(
              "test_an_answer_the_size_of_the_whole_list_is_tested_once_and_then_trusted")),
    Point(PROSPERO, "POST /events {event} → 201 {event}, full state with the new id",
          prospero_api("test_create_one_event_returns_its_full_state",
                       "test_create_with_every_field",
                       "test_null_optional_fields_on_create_are_not_set"),
          ("prospero POST /events",)),
    Point(PROSPERO, "POST /events {events} (≤ 100) → 201 {events} in the same order",
          prospero_api("test_create_many_events_in_order",
                       "test_bulk_create_takes_1_to_100_events")
          + docs_prospero("test_plan_apply_and_plan_again_speak_only_the_documented_api")),
    Point(PROSPERO, "POST /events: an optional `notification` (one per bulk event), recorded",
          prospero_points("test_a_create_may_ask_for_a_notification_which_is_recorded")),
    Point(PROSPERO, "[model] bulk create is all-or-nothing on validation errors",
          prospero_api("test_bulk_create_is_all_or_nothing")),
    Point(PROSPERO, "PATCH /events/{id}: RFC 7386 merge patch → 200 {event}", prospero_api(
        "test_patch_merges_objects_and_null_removes", "test_patch_status_null_resets_to_confirmed",
    ) + patching("test_apply_merge_patch_follows_rfc_7386")
        + diff("test_the_client_applies_and_generates_patches_as_rfc_7386_appendix_a",
               "test_an_array_is_sent_verbatim_with_the_nulls_inside_it")
        + acceptance("test_removing_a_declared_field_sends_null"),
        ("prospero PATCH /events/{id}",)),
    Point(PROSPERO, "PATCH as `application/merge-patch+json`; `application/json` accepted",
          prospero_api("test_patch_accepts_plain_json_too",
                       "test_patch_with_another_media_type_is_415")
          + docs_prospero("test_plan_apply_and_plan_again_speak_only_the_documented_api")
          + acceptance("test_one_changed_field_is_one_patch_of_that_field")),
    Point(PROSPERO, "DELETE /events {ids} → 204; deleted events move to /events/archive",
          prospero_api("test_bulk_delete_archives_all",
                       "test_bulk_delete_with_an_unknown_id_archives_nothing",
                       "test_bulk_delete_validation", "test_archive_list_pages_and_refuses_filters")
          + client_prospero("test_a_bulk_delete_meeting_a_gone_event_deletes_the_rest_one_by_one"),
          ("prospero DELETE /events", "prospero GET /events/archive")),
    Point(PROSPERO, "DELETE /events/{id} is [model] only; the client deletes in bulk",
          prospero_api("test_delete_one_moves_it_to_the_archive")
          + docs_prospero("test_deletes_go_in_bulk_at_most_one_hundred_ids_a_request"),
          ("prospero DELETE /events/{id}",)),
    Point(PROSPERO, "fields: title, details, start, end, allDay, isDraft, flagged, location",
          prospero_api("test_create_with_every_field", "test_create_validation")),
    Point(PROSPERO, "status: integer enum 0 CONFIRMED, 1 TENTATIVE, 2 CANCELLED",
          prospero_api("test_create_validation", "test_patch_status_null_resets_to_confirmed")
          + docs_prospero("test_the_documented_payloads_are_read_as_they_are")),
    Point(PROSPERO, "capacity an int ≥ 0; customFields string → string|number|bool|null",
          prospero_api("test_create_with_every_field", "test_create_validation")),
    Point(PROSPERO, "[model] marker at `customFields.reconciler_key`", docs_prospero(
        "test_plan_apply_and_plan_again_speak_only_the_documented_api",
        "test_import_and_adopt_list_all_of_time_by_windows",
    ) + prospero_api("test_equality_filters")),
    Point(PROSPERO, "errors {status, error}: 400, 401, 403, 404, 409, 422, 429, 500", prospero_api(
        "test_create_validation", "test_every_api_route_needs_an_access_token",
        "test_get_unknown_event_is_404", "test_admin_seed_refuses_a_duplicate_id",
        "test_unknown_paths_and_methods_answer_in_prospero_shape",
    ) + prospero_errors("test_a_bug_in_a_handler_still_answers_in_prospero_shape")
        + client_prospero("test_the_documented_error_body_names_what_went_wrong")),
    Point(PROSPERO, "a user below an operation's level is denied (403): permission, not 401",
          prospero_api("test_the_read_only_user_reads_and_is_denied_every_write")
          + permissions("test_a_read_only_prospero_user_is_denied_permission_at_apply_time")
          + doctor("test_a_read_only_prospero_user_differs_and_nothing_is_written")),
    Point(PROSPERO, "every caller, doctor included, lists the documented window first",
          doctor("test_docs_shaped_prospero_refusing_the_modelled_paging_is_listed_by_window_"
                 "first")),
    Point(PROSPERO, "[model] 429 with `Retry-After` seconds, which the client honours",
          prospero_api("test_status_fault_answers_with_prospero_error_and_retry_after")
          + transport(
              "test_a_retry_after_within_the_bound_is_waited_exactly_even_past_the_backoff_cap",
              "test_a_retry_after_beyond_the_bound_stops_and_says_what_was_asked",
              "test_a_pause_within_the_bound_holds_the_next_request_too",
              "test_a_retry_after_that_cannot_be_waited_for_is_ignored")
          + rate_limits("test_max_retry_after_sets_the_longest_wait",
                        "test_a_retry_after_beyond_the_bound_stops_the_plan_with_a_message",
                        "test_during_a_refused_pause_apply_sends_nothing_more_and_says_so")),
    Point(PROSPERO, "webhooks: event.created/updated/deleted to HTTPS; [model] POST /webhooks",
          prospero_points("test_every_documented_event_type_registers_on_an_https_url")
          + prospero_api("test_register_list_and_remove_webhooks", "test_webhook_validation")
          + prospero_webhooks(
              "test_a_patch_delivers_one_event_updated_with_the_documented_body",
              "test_creates_and_bulk_deletes_deliver_created_and_deleted_with_the_last_state",
              "test_a_webhook_registered_for_deletions_only_gets_no_creates_or_updates",
              "test_out_of_band_edits_through_the_admin_api_are_delivered",
              "test_a_receiver_answering_500_is_retried_after_1_min_1_h_and_6_h_then_given_up",
              "test_a_receiver_slower_than_5_s_has_failed_and_gets_the_retry",
              "test_loopback_receivers_may_be_plain_http_but_public_ones_may_not")
          + prospero_webhook_faults(
              "test_dropped_deliveries_are_never_sent_nor_retried",
              "test_duplicated_deliveries_arrive_twice_with_one_id",
              "test_reordered_deliveries_arrive_shuffled",
              "test_delayed_deliveries_fall_due_that_much_later_on_the_sandbox_clock",
              "test_the_same_seed_gives_the_same_run"),
          ("prospero POST /webhooks", "prospero GET /webhooks", "prospero DELETE /webhooks/{id}")),
    # -- Previsto -------------------------------------------------------------------------------
    Point(PREVISTO, "auth: HTTP Basic, the key as username, an empty password", previsto_api(
        "test_the_full_key_reads_the_seeded_assignments",
        "test_a_missing_or_bad_key_is_401_with_a_basic_challenge",
    ) + docs_previsto("test_plan_apply_and_a_converged_plan_against_the_documented_api")),
    Point(PREVISTO, "HTTPS only: the client refuses plain http except to loopback",
          secrets("test_plain_http_is_refused_except_to_loopback")),
    Point(PREVISTO, "a bad key → 401", previsto_api(
        "test_a_missing_or_bad_key_is_401_with_a_basic_challenge",
    ) + previsto_docs("test_the_account_needs_a_key")
        + acceptance("test_wrong_credentials_fail_cleanly_per_provider")),
    Point(PREVISTO, "a key without rights → 403", previsto_api(
        "test_the_read_only_key_cannot_write",
    ) + previsto_docs("test_the_read_only_key_can_neither_create_nor_delete")
        + permissions("test_a_read_only_previsto_key_is_denied_permission_at_apply_time")
        + doctor("test_a_403_to_the_probe_is_permission_denied_not_bad_credentials")),
    Point(PREVISTO, "[model] GET /assignments, GET and PUT /assignments/{id} (partial update)",
          previsto_api("test_writable_properties_change_and_the_rest_stay",
                       "test_an_unknown_id_is_404_with_param_id",
                       "test_the_read_only_key_reads_lists_and_objects"),
          ("previsto GET /assignments", "previsto GET /assignments/{id}",
           "previsto PUT /assignments/{id}")),
    Point(PREVISTO, "[model] the same paths for /contacts and /agreements", previsto_api(
        "test_contacts_and_agreements_take_partial_updates",
        "test_contacts_and_agreements_filter_by_their_own_properties",
    ) + previsto_points("test_contacts_and_agreements_are_read_one_by_one"),
        ("previsto GET /contacts", "previsto GET /contacts/{id}", "previsto PUT /contacts/{id}",
         "previsto GET /agreements", "previsto GET /agreements/{id}",
         "previsto PUT /agreements/{id}")),
    Point(PREVISTO, "assignments can be created by hand and deleted", previsto_docs(
        "test_an_assignment_created_by_hand_is_listed_with_its_contacts_name",
        "test_a_create_without_a_required_property_is_400_as_the_docs_word_it",
        "test_a_delete_answers_an_empty_body_and_the_assignment_is_gone",
    ), ("previsto POST /assignments", "previsto DELETE /assignments/{id}")),
    Point(PREVISTO, "the reconciler manages metadata only",
          docs_previsto("test_plan_apply_and_a_converged_plan_against_the_documented_api")
          + importer("test_assignments_adopt_with_the_reserved_metadata_keys_only")
          + acceptance("test_foreign_metadata_keys_survive")),
    Point(PREVISTO, "GET /account answers with the key's account", previsto_docs(
        "test_the_account_is_the_keys_account", "test_the_account_needs_a_key",
    ) + doctor("test_docs_shaped_previsto_holds_and_the_smaller_page_is_named"),
        ("previsto GET /account",)),
    Point(PREVISTO, "assignment fields: id, createdDate, meta, contactId, ..., deliveryAddress",
          previsto_api("test_an_assignment_has_every_contract_field") + previsto_docs(
              "test_the_docs_example_assignment_is_served_as_the_docs_show_it",
              "test_the_seeded_assignments_read_like_the_docs")),
    Point(PREVISTO, "action None/Skipped/Completed; status None/AppendedToOrder/Invoiced/...",
          previsto_api("test_invalid_values_are_400_naming_the_property",
                       "test_filters_are_equality_on_properties_and_metadata",
                       "test_an_invoiced_assignment_keeps_its_action_but_takes_metadata")),
    Point(PREVISTO, "`plan.executionTime`: local, no offset, no seconds (`2017-05-31T08:05`)",
          previsto_docs("test_an_execution_time_is_kept_local_to_the_minute",
                        "test_an_execution_time_with_an_offset_or_seconds_is_400")
          + client_previsto(
              "test_the_docs_example_assignments_are_read_and_imported_by_their_local_day")),
    Point(PREVISTO, "id prefixes `asgmt-`, `acct-`, `agrmt-`",
          previsto_api("test_an_assignment_has_every_contract_field")
          + previsto_docs("test_the_docs_example_assignment_is_served_as_the_docs_show_it")),
    Point(PREVISTO, "`address` is an object (street, apartment, postalCode, city, countryCode)",
          previsto_api("test_an_assignment_has_every_contract_field",
                       "test_writable_properties_change_and_the_rest_stay",
                       "test_invalid_values_are_400_naming_the_property")),
    Point(PREVISTO, "`timestamp`: plan.executionTime's deprecated alias, not a last change",
          previsto_api("test_timestamp_is_the_execution_time_and_no_write_moves_it",
                       "test_read_only_properties_are_400",
                       "test_sort_by_timestamp_desc_puts_the_latest_execution_first")
          + client_previsto("test_the_client_never_reads_timestamp_as_a_last_change")),
    Point(PREVISTO, "metadata returned as `meta`; [model] an update takes `meta` or `metadata`",
          previsto_api("test_metadata_is_the_alias_of_meta",
                       "test_meta_and_metadata_together_are_400",
                       "test_metadata_values_under_the_alias_name_the_alias")),
    Point(PREVISTO, "[model] metadata keys merge",
          previsto_api("test_metadata_keys_merge_into_the_existing_ones")
          + acceptance("test_foreign_metadata_keys_survive")),
    Point(PREVISTO, "[model] the emulator also has a replacing mode (null and \"\" not stored)",
          previsto_api("test_in_replacing_mode_the_passed_meta_becomes_the_metadata")),
    Point(PREVISTO, "the client sends the whole resulting `meta`: correct merged or replaced",
          convergence("test_a_foreign_metadata_key_survives_a_merging_or_replacing_sandbox",
                      "test_a_foreign_metadata_key_survives_a_merging_or_replacing_docs_server")
          + docs_previsto("test_plan_apply_and_a_converged_plan_against_the_documented_api")),
    Point(PREVISTO, "[model] a key sent with `null` or `\"\"` is removed",
          previsto_api("test_a_key_sent_with_null_or_empty_is_removed")
          + docs_previsto("test_plan_apply_and_a_converged_plan_against_the_documented_api")),
    Point(PREVISTO, "limits: ≤ 20 keys, names ≤ 40 chars, values ≤ 500 chars; more → 400",
          previsto_api("test_twenty_keys_of_forty_characters_with_500_character_values_fit",
                       "test_more_than_twenty_keys_after_merging_is_400_naming_the_first_extra_key",
                       "test_metadata_limits_are_400_naming_the_key_and_store_nothing")
          + config_loader("test_schema_encodes_previsto_limits_with_the_reserved_keys")),
    Point(PREVISTO, "pages: `page` zero-based, `size` default 20", previsto_api(
        "test_pages_are_zero_based_with_a_next_link_until_the_last",
        "test_size_bounds_are_1_and_100",
    )),
    Point(PREVISTO, "size ≤ 100 (seed) or 1000 (newer pages), a setting; beyond → 400 `size`",
          previsto_docs("test_by_default_a_page_is_at_most_100",
                        "test_the_maximum_is_a_setting_up_to_the_newer_pages_1000")
          + previsto_api("test_page_and_size_out_of_range_are_400_naming_the_parameter")),
    Point(PREVISTO, "the client asks for 1000 and falls back to 100 once on a 400 naming size",
          client_previsto("test_the_larger_page_is_refused_once_per_run",
                          "test_a_server_that_allows_1000_is_read_in_one_request")
          + refresh_cost("test_250_assignments_cost_three_pages_of_100_after_one_refusal")
          + docs_previsto("test_plan_apply_and_a_converged_plan_against_the_documented_api")),
    Point(PREVISTO, "a list is a bare JSON array, empty past the last page, `X-Total-Count`",
          previsto_api("test_a_list_is_a_bare_array_with_total_count_and_no_link_on_one_page",
                       "test_past_the_last_page_the_list_is_empty")
          + client_previsto("test_without_x_total_count_pages_are_read_until_a_short_one")),
    Point(PREVISTO, "[model] a `Link` (rel=\"next\") header", previsto_api(
        "test_pages_are_zero_based_with_a_next_link_until_the_last",
        "test_the_next_link_keeps_the_filters_and_sort",
    )),
    Point(PREVISTO, "filters: any property as an equality query parameter", previsto_api(
        "test_filters_are_equality_on_properties_and_metadata",
        "test_filtering_on_an_unknown_or_non_scalar_property_is_400",
        "test_a_repeated_parameter_is_400",
    ) + refresh_cost("test_a_new_select_is_read_by_its_id_and_many_by_the_cheaper_walk",
                     "test_a_select_by_properties_is_read_by_the_documented_filters")),
    Point(PREVISTO, "[model] `meta.<key>=<value>` filters on a metadata key", previsto_api(
        "test_filters_are_equality_on_properties_and_metadata",
        "test_metadata_filters_match_non_ascii_values",
    ) + refresh_cost(
        "test_a_first_plan_walks_once_then_plans_read_only_the_scopes_marked_assignments")
      + client_previsto("test_a_server_that_ignores_filters_is_walked")
      + docs_previsto("test_plan_apply_and_a_converged_plan_against_the_documented_api")),
    Point(PREVISTO, "sorting: `sort=<property>,asc|desc`", previsto_api(
        "test_sort_by_a_property_ascending_and_descending",
        "test_sort_keys_repeat_and_ties_keep_creation_order", "test_sort_by_a_metadata_key",
        "test_a_bad_sort_is_400_with_param_sort",
    )),
    Point(PREVISTO, "rate limit: 120 requests a minute per key → 429, a brief message",
          previsto_points("test_the_default_limit_is_120_requests_a_minute_per_key")
          + previsto_api("test_the_request_over_the_limit_is_429_without_retry_after",
                         "test_the_window_slides_and_refused_requests_do_not_count",
                         "test_the_limit_is_per_key")),
    Point(PREVISTO, "[model] no `Retry-After`: the client paces itself and waits the window out",
          previsto_api("test_the_request_over_the_limit_is_429_without_retry_after")
          + transport("test_a_429_without_retry_after_is_retried_until_the_window_has_passed",
                      "test_a_429_storm_shorter_than_the_window_ends_in_success",
                      "test_no_retries_asked_for_means_none_even_in_a_window")
          + client_previsto("test_a_429_storm_is_waited_out_within_previstos_window")
          + doctor("test_the_rate_limit_line_names_the_pace_the_client_keeps")),
    Point(PREVISTO, "errors {type: invalid_request_error|api_error, message, param}",
          previsto_api("test_invalid_values_are_400_naming_the_property",
                       "test_an_unexpected_failure_is_500_in_previstos_shape")
          + docs_previsto("test_the_docs_error_example_reaches_the_user_as_its_message")),
    Point(PREVISTO, "codes 400, 401, 402 (valid but failed), 403, 404, 429, 5xx",
          previsto_docs("test_an_invoiced_assignment_cannot_be_deleted")
          + previsto_api("test_an_invoiced_assignment_keeps_its_action_but_takes_metadata",
                         "test_an_unknown_path_is_404_in_previstos_shape",
                         "test_an_injected_status_answers_previstos_error_and_retry_after")),
    Point(PREVISTO, "DELETE → an empty body",
          previsto_docs("test_a_delete_answers_an_empty_body_and_the_assignment_is_gone")),
)


@cache
def parsed(path: str) -> ast.Module:
    return ast.parse((ROOT / path).read_text(encoding="utf-8"))


def function_named(node_id: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The function a node id names (`file::name` or `file::Class::name`), if it exists."""
    path, *names = node_id.split("::")
    if not (ROOT / path).is_file():
        return None
    body: list[ast.stmt] = parsed(path).body
    found: ast.stmt | None = None
    for name in names:
        found = next((n for n in body if getattr(n, "name", None) == name), None)
        if found is None:
            return None
        body = getattr(found, "body", [])
    return found if isinstance(found, ast.FunctionDef | ast.AsyncFunctionDef) else None


def spec_operations() -> dict[str, set[str]]:
    """Each spec's operations as `<spec> <METHOD> <path>`, with the tags they carry."""
    operations: dict[str, set[str]] = {}
    for spec in sorted(SPECS.glob("*.openapi.yaml")):
        name = spec.name.removesuffix(".openapi.yaml")
        document = yaml.safe_load(spec.read_text(encoding="utf-8"))
        for path, item in document["paths"].items():
            for method in METHODS:
                if method in item:
                    tags = set(item[method].get("tags", ()))
                    operations[f"{name} {method.upper()} {path}"] = tags
    return operations


def test_the_index_is_well_formed() -> None:
    texts = [(point.section, point.text) for point in POINTS]
    assert len(texts) == len(set(texts)), "a point is listed twice"
    assert len(POINTS) >= 60
    for point in POINTS:
        assert point.section in SECTIONS, point
        assert point.tests, f"no test covers {point.section}: {point.text}"
        assert len(point.tests) == len(set(point.tests)), point


def test_every_section_of_the_contract_has_points() -> None:
    covered = {point.section for point in POINTS}
    uncovered = [section for section in SECTIONS if section not in covered]
    assert uncovered == [], f"sections without points: {uncovered}"


def test_every_named_test_exists() -> None:
    named = sorted({node for point in POINTS for node in point.tests})
    missing = [node for node in named if function_named(node) is None]
    assert missing == [], "named here, not found:\n" + "\n".join(missing)


def test_every_named_test_cites_the_contract() -> None:
    uncited = []
    for node in sorted({node for point in POINTS for node in point.tests}):
        function = function_named(node)
        if function is None:
            continue  # reported by test_every_named_test_exists
        module = ast.get_docstring(parsed(node.split("::")[0])) or ""
        if "api-contract.md" not in (ast.get_docstring(function) or "") + module:
            uncited.append(node)
    assert uncited == [], "docstring does not cite api-contract.md:\n" + "\n".join(uncited)


def test_every_operation_a_point_names_is_in_its_spec() -> None:
    operations = spec_operations()
    named = {operation for point in POINTS for operation in point.operations}
    unknown = sorted(named - operations.keys())
    assert unknown == [], f"not in schemas/api: {unknown}"


def test_every_operation_of_the_specs_has_a_point() -> None:
    named = {operation for point in POINTS for operation in point.operations}
    public = {op for op, tags in spec_operations().items() if ADMIN_TAG not in tags}
    assert len(public) >= 30  # the three specs were read
    unnamed = sorted(public - named)
    assert unnamed == [], f"operations no point names: {unnamed}"
