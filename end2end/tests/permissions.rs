//! The permission matrix: every REST route and every server function, called as anonymous, viewer,
//! analyst and admin, answers with the status the table below expects. The table is checked for
//! completeness against the server's own OpenAPI document (REST) and the server functions the app
//! registers, so a new route without a row fails this test.
//!
//! Resources named in paths belong to the analyst (`ana`): a viewer sees 404 for them (not even their
//! existence), an admin sees them. `{none}` is an id that exists nowhere: a caller with the
//! permission gets 404, one without it 403, so the permission is checked before the lookup.
//! `{version}` is the shared default prompt's version (everyone may read it); `{pversion}` is the
//! analyst's own, unshared prompt.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use end2end::{TestServer, upload_and_run, wait_run};
use leptos::server_fn::ServerFn;
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough secret";
const ROLES: [&str; 4] = ["anonymous", "viewer", "analyst", "admin"];

/// How a row is called: REST (JSON body) or a server function (form or JSON body).
#[derive(Clone, Copy)]
enum Via {
    Rest,
    Fn,
}

/// One row: via, method, path (server functions: their registered path), body, expected status for
/// [anonymous, viewer, analyst, admin], and whether the call ends the caller's session (then it
/// gets a session of its own).
struct Row {
    via: Via,
    method: &'static str,
    path: String,
    body: &'static str,
    expect: [u16; 4],
    own_session: bool,
}

fn rest(method: &'static str, path: &str, body: &'static str, expect: [u16; 4]) -> Row {
    Row { via: Via::Rest, method, path: format!("/api/v1{path}"), body, expect, own_session: false }
}

fn sfn<F: ServerFn>(body: &'static str, expect: [u16; 4]) -> Row {
    Row { via: Via::Fn, method: "POST", path: F::PATH.to_string(), body, expect, own_session: false }
}

fn own(mut r: Row) -> Row {
    r.own_session = true;
    r
}

#[rustfmt::skip]
fn matrix() -> Vec<Row> {
    use app::api::*;
    vec![
        // ---- REST: auth and own account
        own(rest("POST", "/auth/login", r#"{"username":"ana","password":"{password}"}"#, [200, 200, 200, 200])),
        own(rest("POST", "/auth/logout", "", [204, 204, 204, 204])),
        rest("GET", "/auth/me", "", [401, 200, 200, 200]),
        rest("POST", "/auth/password", r#"{"current":"not the password","new":"another long secret 7"}"#, [401, 422, 422, 422]),
        rest("GET", "/auth/sessions", "", [401, 200, 200, 200]),
        own(rest("DELETE", "/auth/sessions", "", [401, 204, 204, 204])),
        rest("DELETE", "/auth/sessions/{none}", "", [401, 404, 404, 404]),
        // Passkeys: a fresh session starts a registration; finishing needs a started ceremony and a
        // real credential (the browser test does that), so a bogus one is refused before any lookup.
        rest("POST", "/auth/passkeys/register/start", r#"{"name":"Laptop"}"#, [401, 200, 200, 200]),
        rest("POST", "/auth/passkeys/register/finish", r#"{"id":"x","rawId":"eA","type":"public-key","response":{"attestationObject":"eA","clientDataJSON":"eA"}}"#, [401, 422, 422, 422]),
        rest("POST", "/auth/passkeys/login/start", "", [200, 200, 200, 200]),
        rest("POST", "/auth/passkeys/login/finish", r#"{"id":"x","rawId":"eA","type":"public-key","response":{"authenticatorData":"eA","clientDataJSON":"eA","signature":"eA","userHandle":null}}"#, [422, 422, 422, 422]),
        rest("GET", "/auth/passkeys", "", [401, 200, 200, 200]),
        rest("PATCH", "/auth/passkeys/{none}", r#"{"name":"Renamed"}"#, [401, 404, 404, 404]),
        rest("DELETE", "/auth/passkeys/{none}", "", [401, 404, 404, 404]),
        rest("POST", "/auth/enrol", r#"{"token":"enr_not-a-link"}"#, [404, 404, 404, 404]),
        rest("GET", "/tokens", "", [401, 200, 200, 200]),
        rest("POST", "/tokens", r#"{"name":"matrix"}"#, [401, 201, 201, 201]),
        rest("DELETE", "/tokens/{none}", "", [401, 404, 404, 404]),
        // ---- REST: administration
        rest("GET", "/admin/users", "", [401, 403, 403, 200]),
        rest("POST", "/admin/users", r#"{"username":"made-by-admin","password":"a long enough secret","role":"viewer"}"#, [401, 403, 403, 201]),
        rest("PATCH", "/admin/users/{none}", r#"{"is_active":false}"#, [401, 403, 403, 404]),
        rest("POST", "/admin/users/{none}/password-reset", r#"{"temporary":"temporary long secret"}"#, [401, 403, 403, 404]),
        rest("POST", "/admin/users/{none}/unlock", "", [401, 403, 403, 404]),
        rest("GET", "/admin/roles", "", [401, 403, 403, 200]),
        rest("POST", "/admin/roles", r#"{"name":"matrix-role","permissions":["dataset:read"]}"#, [401, 403, 403, 200]),
        rest("DELETE", "/admin/roles/{norole}", "", [401, 403, 403, 404]),
        rest("GET", "/admin/permissions", "", [401, 403, 403, 200]),
        rest("GET", "/admin/assignments", "", [401, 403, 403, 200]),
        rest("PUT", "/admin/users/{vera}/roles/{role}", "{}", [401, 403, 403, 204]),
        rest("DELETE", "/admin/users/{none}/roles/{role}", "", [401, 403, 403, 404]),
        rest("GET", "/admin/audit", "", [401, 403, 403, 200]),
        rest("POST", "/admin/users/{none}/enrolment-link", "", [401, 403, 403, 404]),
        // ---- REST: uploads
        rest("GET", "/uploads", "", [401, 200, 200, 200]),
        rest("POST", "/uploads", "multipart", [401, 403, 201, 201]),
        rest("GET", "/uploads/{upload}", "", [401, 404, 200, 200]),
        rest("DELETE", "/uploads/{none}", "", [401, 403, 404, 404]),
        rest("GET", "/uploads/{upload}/rejected", "", [401, 404, 200, 200]),
        rest("GET", "/uploads/{upload}/tables/{table}/preview", "", [401, 404, 200, 200]),
        rest("PUT", "/uploads/{upload}/tables/{table}/column-type", r#"{"column":"concepto","type":"text"}"#, [401, 403, 200, 200]),
        // ---- REST: datasets
        rest("GET", "/datasets", "", [401, 200, 200, 200]),
        rest("POST", "/datasets", r#"{"upload_id":"{upload}","description_column":"concepto"}"#, [401, 403, 201, 201]),
        rest("GET", "/datasets/{dataset}", "", [401, 404, 200, 200]),
        rest("DELETE", "/datasets/{none}", "", [401, 403, 404, 404]),
        rest("GET", "/datasets/{dataset}/rows", "", [401, 404, 200, 200]),
        rest("GET", "/datasets/{dataset}/shares", "", [401, 404, 200, 200]),
        rest("POST", "/datasets/{none}/shares", r#"{"username":"vera"}"#, [401, 404, 404, 404]),
        rest("DELETE", "/datasets/{dataset}/shares/{none}", "", [401, 404, 404, 404]),
        // ---- REST: prompts
        rest("GET", "/prompts", "", [401, 200, 200, 200]),
        rest("POST", "/prompts", r#"{"name":"Matrix","template":"Clasifica","categories":[{"name":"Viajes"}]}"#, [401, 403, 201, 201]),
        rest("GET", "/prompts/{prompt}/versions", "", [401, 404, 200, 200]),
        rest("POST", "/prompts/{prompt}/versions", r#"{"template":"Clasifica otra vez","categories":[{"name":"Viajes"}]}"#, [401, 403, 201, 201]),
        rest("GET", "/prompt-versions/{pversion}", "", [401, 404, 200, 200]),
        rest("GET", "/prompt-versions/diff?from={pversion}&to={pversion}", "", [401, 404, 200, 200]),
        rest("PUT", "/prompts/{none}/default", "", [401, 403, 403, 404]),
        rest("POST", "/prompts/{prompt}/duplicate", "{}", [401, 403, 201, 201]),
        // A prompt's examples: the analyst's own prompt is invisible to the viewer. The matrix's
        // table has one column, which cannot be both text and category: 422 once allowed.
        rest("GET", "/prompts/{prompt}/examples", "", [401, 404, 200, 200]),
        rest("POST", "/prompts/{prompt}/examples", r#"{"text":"taxi aeropuerto","category":"Viajes"}"#, [401, 404, 201, 201]),
        rest("POST", "/prompts/{prompt}/examples/remove", r#"{"ids":[-1]}"#, [401, 404, 404, 404]),
        rest("POST", "/prompts/{prompt}/examples/preview", r#"{"upload_id":"{upload}","table_id":"{table}","text_columns":["concepto"],"label_column":"concepto"}"#, [401, 404, 422, 422]),
        rest("POST", "/prompts/{prompt}/examples/import", r#"{"source":{"upload_id":"{upload}","table_id":"{table}","text_columns":["concepto"],"label_column":"concepto"}}"#, [401, 404, 422, 422]),
        // ---- REST: runs
        rest("POST", "/runs", r#"{"dataset_id":"{none}"}"#, [401, 403, 404, 404]),
        rest("POST", "/runs/plan", r#"{"dataset_id":"{dataset}"}"#, [401, 403, 200, 200]),
        rest("GET", "/runs/{run}", "", [401, 404, 200, 200]),
        rest("GET", "/runs/{run}/results/{lineidx}/examples", "", [401, 404, 200, 200]),
        rest("POST", "/runs/{none}/cancel", "", [401, 403, 404, 404]),
        rest("POST", "/runs/{none}/resume", "", [401, 403, 404, 404]),
        rest("POST", "/runs/{none}/retry-failed", "", [401, 403, 404, 404]),
        rest("GET", "/runs/{run}/categories", "", [401, 404, 200, 200]),
        rest("GET", "/runs/{run}/results", "", [401, 404, 200, 200]),
        rest("GET", "/runs/{run}/events", "", [401, 404, 200, 200]),
        rest("GET", "/runs", "", [401, 200, 200, 200]),
        rest("GET", "/runs?dataset_id={dataset}", "", [401, 404, 200, 200]),
        // ---- REST: review
        rest("POST", "/samples", r#"{"run_id":"{none}"}"#, [401, 403, 404, 404]),
        rest("GET", "/samples", "", [401, 200, 200, 200]),
        rest("GET", "/samples/{sample}", "", [401, 404, 200, 200]),
        rest("GET", "/samples/{sample}/items", "", [401, 404, 200, 200]),
        rest("PUT", "/samples/{sample}/items/{item}", r#"{"verdict":"correct"}"#, [401, 403, 200, 200]),
        rest("DELETE", "/samples/{sample}/items/{item}/verdict", "", [401, 403, 200, 200]),
        rest("GET", "/samples/{sample}/metrics", "", [401, 404, 200, 200]),
        rest("GET", "/samples/{sample}/iterations", "", [401, 404, 200, 200]),
        rest("POST", "/samples/{none}/iterations", r#"{"prompt_version_id":"{version}"}"#, [401, 403, 404, 404]),
        rest("POST", "/samples/{none}/apply", r#"{"prompt_version_id":"{version}"}"#, [401, 403, 404, 404]),
        rest("POST", "/samples/{sample}/plan", r#"{"scope":"sample","prompt_version_id":"{version}"}"#, [401, 403, 200, 200]),
        rest("GET", "/samples/{sample}/compare?before={run}&after={run}", "", [401, 404, 200, 200]),
        rest("GET", "/samples/{sample}/corrections", "", [401, 404, 200, 200]),
        rest("POST", "/samples/{none}/examples", "{}", [401, 403, 404, 404]),
        // ---- REST: governed tables (viewers read, analysts write rows, admins define)
        rest("POST", "/metadata/tables", r#"{"table_name":"MATRIX_NEW"}"#, [401, 403, 403, 201]),
        rest("GET", "/metadata/tables", "", [401, 200, 200, 200]),
        rest("GET", "/metadata/tables/{ltable}", "", [401, 200, 200, 200]),
        rest("PATCH", "/metadata/tables/{ltable}", r#"{"description":"changed"}"#, [401, 403, 403, 200]),
        rest("DELETE", "/metadata/tables/{none}", "", [401, 403, 403, 404]),
        rest("GET", "/metadata/tables/{ltable}/history", "", [401, 200, 200, 200]),
        rest("GET", "/metadata/tables/{ltable}/violations", "", [401, 200, 200, 200]),
        rest("PUT", "/metadata/tables/{ltable}/grants", r#"{"role":"viewer","permission":"table:read"}"#, [401, 403, 403, 204]),
        rest("DELETE", "/metadata/tables/{ltable}/grants/{role}/{tperm}", "", [401, 403, 403, 404]),
        rest("POST", "/metadata/columns", r#"{"column_name":"matrix_new","data_type":"String"}"#, [401, 403, 403, 201]),
        rest("GET", "/metadata/columns", "", [401, 200, 200, 200]),
        rest("GET", "/metadata/columns/{column}", "", [401, 200, 200, 200]),
        rest("PATCH", "/metadata/columns/{none}", "{}", [401, 403, 403, 404]),
        rest("DELETE", "/metadata/columns/{none}", "", [401, 403, 403, 404]),
        rest("POST", "/metadata/properties", r#"{"logical_table_id":"{none}","column_definition_id":"{column}"}"#, [401, 403, 403, 404]),
        rest("GET", "/metadata/properties?logical_table_id={ltable}", "", [401, 200, 200, 200]),
        rest("GET", "/metadata/properties/{property}", "", [401, 200, 200, 200]),
        rest("PATCH", "/metadata/properties/{property}", r#"{"display_order":2}"#, [401, 403, 403, 200]),
        rest("DELETE", "/metadata/properties/{none}", "", [401, 403, 403, 404]),
        rest("POST", "/metadata/constraints", r#"{"logical_table_id":"{none}","constraint_name":"c","constraint_type":"UNIQUE","columns":["matrix_qty"]}"#, [401, 403, 403, 404]),
        rest("GET", "/metadata/constraints?logical_table_id={ltable}", "", [401, 200, 200, 200]),
        rest("GET", "/metadata/constraints/{constraint}", "", [401, 200, 200, 200]),
        rest("PATCH", "/metadata/constraints/{none}", "{}", [401, 403, 403, 404]),
        rest("DELETE", "/metadata/constraints/{none}", "", [401, 403, 403, 404]),
        rest("POST", "/data/{lname}", r#"{"column_values":{"matrix_qty":1}}"#, [401, 403, 422, 422]),
        rest("GET", "/data/{lname}?pageSize=20", "", [401, 200, 200, 200]),
        rest("GET", "/data/{lname}/{lrow}", "", [401, 200, 200, 200]),
        rest("PATCH", "/data/{lname}/{lrow}", r#"{"version":999}"#, [401, 403, 409, 409]),
        rest("DELETE", "/data/{lname}/{none}", "", [401, 403, 404, 404]),
        rest("POST", "/data/{lname}/query", r#"{"filters":[{"field":"matrix_qty","operator":"gte","value":0}]}"#, [401, 200, 200, 200]),
        rest("POST", "/data/{lname}/batch", r#"{"operations":[]}"#, [401, 403, 200, 200]),
        rest("GET", "/data/{lname}/{lrow}/history", "", [401, 200, 200, 200]),
        rest("GET", "/data/{lname}/export?format=csv", "", [401, 200, 200, 200]),
        // ---- REST: imports (whoever may write the target table)
        rest("POST", "/migration/configurations", r#"{"name":"bad","source_type":"INLINE","target_logical_table_id":"{ltable}","mappings":[{"source_field":"x","target_field":"nope"}]}"#, [401, 403, 422, 422]),
        rest("GET", "/migration/configurations", "", [401, 200, 200, 200]),
        rest("GET", "/migration/configurations/{mconfig}", "", [401, 404, 200, 200]),
        rest("PUT", "/migration/configurations/{none}", r#"{"name":"x","source_type":"INLINE","target_logical_table_id":"{ltable}","mappings":[]}"#, [401, 404, 404, 404]),
        rest("DELETE", "/migration/configurations/{none}", "", [401, 404, 404, 404]),
        rest("POST", "/migration/configurations/{mconfig}/dry_run", r#"{"source_data":[{"code":"M-8","qty":1}]}"#, [401, 404, 200, 200]),
        rest("POST", "/migration/batch", r#"{"configuration_id":"{none}","source_data":[{}]}"#, [401, 404, 404, 404]),
        rest("GET", "/migration/batch", "", [401, 200, 200, 200]),
        rest("GET", "/migration/batch/{mjob}", "", [401, 404, 200, 200]),
        rest("GET", "/migration/batch/{mjob}/errors", "", [401, 404, 200, 200]),
        rest("POST", "/migration/batch/{none}/rollback", "", [401, 404, 404, 404]),
        rest("POST", "/migration/record", r#"{"configuration_id":"{mconfig}","record_data":{"code":"M-9","qty":1}}"#, [401, 404, 200, 200]),
        // ---- REST: reports (analysts build over what they read; a report is its owner's until granted)
        rest("POST", "/reports", r#"{"name":"mine","spec":{"source":{"table":"MATRIX"},"columns":["code"]}}"#, [401, 403, 201, 201]),
        rest("GET", "/reports", "", [401, 200, 200, 200]),
        rest("GET", "/reports/{report}", "", [401, 403, 403, 200]),
        rest("PUT", "/reports/{report}", r#"{"name":"MATRIX report","spec":{"source":{"table":"MATRIX"},"columns":["code"],"filters":[{"field":"code","operator":"eq","mode":"parameter"}]}}"#, [401, 403, 403, 200]),
        rest("DELETE", "/reports/{none}", "", [401, 404, 404, 404]),
        rest("PUT", "/reports/{report}/grants", "[]", [401, 403, 403, 200]),
        rest("POST", "/reports/execute", r#"{"report_id":"{report}","pagination":{"page_size":5}}"#, [401, 403, 403, 200]),
        rest("GET", "/reports/{report}/export?format=csv", "", [401, 403, 403, 200]),
        rest("POST", "/reports/{report}/links", "{}", [401, 403, 403, 201]),
        rest("GET", "/reports/{report}/links", "", [401, 403, 403, 200]),
        rest("GET", "/reports/links", "", [401, 403, 403, 200]),
        rest("DELETE", "/reports/links/{none}", "", [401, 404, 404, 404]),
        rest("POST", "/reports/links/{none}/rotate", "", [401, 404, 404, 404]),
        // ---- REST: marketing (analysts read the funnel and send events; admins configure and run)
        rest("GET", "/etl/presets", "", [401, 403, 200, 200]),
        rest("POST", "/etl/sources", r#"{"name":"","kind":"ads","url":"http://x","fields":{}}"#, [401, 403, 403, 422]),
        rest("GET", "/etl/sources", "", [401, 403, 200, 200]),
        rest("GET", "/etl/sources/{esource}", "", [401, 403, 200, 200]),
        rest("PUT", "/etl/sources/{none}", r#"{"name":"x","kind":"ads","url":"http://127.0.0.1:9/ads","fields":{"date":{"path":"d"},"campaign_id":{"path":"c"},"channel":{"constant":"x"}}}"#, [401, 403, 403, 404]),
        rest("DELETE", "/etl/sources/{none}", "", [401, 403, 403, 404]),
        rest("POST", "/etl/run?source_id={none}", "", [401, 403, 403, 404]),
        rest("GET", "/etl/runs", "", [401, 403, 200, 200]),
        rest("GET", "/etl/runs/{erun}", "", [401, 403, 200, 200]),
        rest("GET", "/etl/runs/{erun}/rejections", "", [401, 403, 200, 200]),
        rest("GET", "/etl/metrics/{dim}", "", [401, 403, 200, 200]),
        rest("POST", "/etl/cleanup", "", [401, 403, 403, 200]),
        rest("POST", "/etl/export", "", [401, 403, 403, 409]),
        rest("POST", "/etl/funnel-report", "", [401, 403, 403, 201]),
        rest("POST", "/events", r#"[{"id": 1, "timestamp": "2025-01-15T10:00:00Z", "user_id": "user_001", "event": "login", "value": 1.0}]"#, [401, 403, 200, 200]),
        rest("GET", "/events/users/{nouser}", "", [401, 403, 404, 404]),
        rest("GET", "/events/by-event", "", [401, 403, 200, 200]),
        rest("GET", "/events/stats", "", [401, 403, 200, 200]),
        // ---- REST: a shared link needs no account; the token is the credential
        rest("GET", "/shared/{stoken}", "", [200, 200, 200, 200]),
        rest("POST", "/shared/{stoken}/unlock", r#"{"password":"whatever"}"#, [200, 200, 200, 200]),
        rest("GET", "/shared/{stoken}/export?format=csv", "", [200, 200, 200, 200]),
        rest("GET", "/shared/{stoken}/suggest?field=code", "", [200, 200, 200, 200]),
        rest("GET", "/shared/dgs_l_unknown/suggest?field=code", "", [404, 404, 404, 404]),

        // ---- Server functions: auth and own account
        sfn::<Whoami>("", [200, 200, 200, 200]),
        sfn::<NeedsSetup>("", [200, 200, 200, 200]),
        own(sfn::<Login>("f:username=ana&password={password}", [200, 200, 200, 200])),
        own(sfn::<Logout>("", [200, 200, 200, 200])),
        sfn::<SetupAdmin>("f:username=second&password=another+long+secret", [409, 409, 409, 409]),
        sfn::<ChangePassword>("f:current=wrong+one&new=another+long+secret+7", [401, 422, 422, 422]),
        sfn::<MySessions>("", [401, 200, 200, 200]),
        sfn::<EndSession>("f:id={none}", [401, 404, 404, 404]),
        own(sfn::<EndAllSessions>("f:everywhere=true", [401, 200, 200, 200])),
        sfn::<MyPasskeys>("", [401, 200, 200, 200]),
        sfn::<RenamePasskey>("f:id={none}&name=Renamed", [401, 404, 404, 404]),
        sfn::<RemovePasskey>("f:id={none}", [401, 404, 404, 404]),
        sfn::<RedeemEnrolment>("f:token=enr_not-a-link", [404, 404, 404, 404]),
        sfn::<MyTokens>("", [401, 200, 200, 200]),
        sfn::<CreateToken>("f:name=matrix&scope=read", [401, 200, 200, 200]),
        sfn::<RevokeToken>("f:id={none}", [401, 404, 404, 404]),
        // ---- Server functions: administration
        sfn::<AdminUsers>("", [401, 403, 403, 200]),
        sfn::<AdminCreateUser>("f:username=made-by-fn&password=a+long+enough+secret&role=viewer", [401, 403, 403, 200]),
        sfn::<AdminSetActive>("f:user_id={none}&active=false", [401, 403, 403, 404]),
        sfn::<AdminResetPassword>("f:user_id={none}&temporary=temporary+long+secret", [401, 403, 403, 404]),
        sfn::<AdminUnlockUser>("f:user_id={none}", [401, 403, 403, 404]),
        sfn::<AdminRoles>("", [401, 403, 403, 200]),
        sfn::<AdminSaveRole>(r#"j:{"draft":{"name":"fn-role","permissions":["dataset:read"]}}"#, [401, 403, 403, 200]),
        sfn::<AdminDeleteRole>("f:name=no-such-role", [401, 403, 403, 404]),
        sfn::<AdminAssignments>("", [401, 403, 403, 200]),
        sfn::<AdminAssignRole>("f:user_id={vera}&role=viewer", [401, 403, 403, 200]),
        sfn::<AdminUnassignRole>("f:user_id={none}&role=viewer", [401, 403, 403, 404]),
        sfn::<AdminEnrolmentLink>("f:user_id={none}", [401, 403, 403, 404]),
        sfn::<AuditLog>(r#"j:{"query":{}}"#, [401, 403, 403, 200]),
        // ---- Server functions: uploads and datasets
        sfn::<ListDatasets>("", [401, 200, 200, 200]),
        sfn::<RecentUploads>("", [401, 200, 200, 200]),
        sfn::<GetUpload>("f:id={upload}", [401, 404, 200, 200]),
        sfn::<PreviewTable>("f:upload_id={upload}&table_id={table}", [401, 404, 200, 200]),
        sfn::<SetColumnType>("f:upload_id={upload}&table_id={table}&column=concepto&kind=text", [401, 403, 200, 200]),
        sfn::<UploadRejected>("f:upload_id={upload}&offset=0", [401, 404, 200, 200]),
        sfn::<BuildDataset>("f:req[upload_id]={upload}&req[description_column]=concepto", [401, 403, 200, 200]),
        sfn::<GetDataset>("f:id={dataset}", [401, 404, 200, 200]),
        sfn::<GetDatasetRows>("f:id={dataset}&query[offset]=0", [401, 404, 200, 200]),
        sfn::<DatasetShares>("f:id={dataset}", [401, 404, 200, 200]),
        sfn::<ShareDataset>("f:id={none}&username=vera", [401, 404, 404, 404]),
        sfn::<UnshareDataset>("f:id={dataset}&user_id={none}", [401, 404, 404, 404]),
        sfn::<RemoveDataset>("f:id={none}", [401, 403, 404, 404]),
        sfn::<RemoveUpload>("f:id={none}", [401, 403, 404, 404]),
        // ---- Server functions: prompts and runs
        sfn::<GetPrompts>("", [401, 200, 200, 200]),
        sfn::<GetPromptVersions>("f:id={prompt}", [401, 404, 200, 200]),
        sfn::<SavePrompt>("f:draft[name]=FnPrompt&draft[template]=Clasifica&draft[categories][0][name]=Viajes", [401, 403, 200, 200]),
        sfn::<CopyPrompt>("f:id={prompt}", [401, 403, 200, 200]),
        sfn::<GetExamples>("f:prompt_id={prompt}&offset=0", [401, 404, 200, 200]),
        sfn::<AddPromptExample>("f:prompt_id={prompt}&text=luz&category=Viajes", [401, 404, 200, 200]),
        sfn::<RemovePromptExamples>(r#"j:{"prompt_id":"{prompt}","ids":[-1]}"#, [401, 404, 404, 404]),
        sfn::<PreviewExamples>(r#"j:{"prompt_id":"{prompt}","source":{"upload_id":"{upload}","table_id":"{table}","text_columns":["concepto"],"label_column":"concepto"}}"#, [401, 404, 422, 422]),
        sfn::<ImportPromptExamples>(r#"j:{"prompt_id":"{prompt}","request":{"source":{"upload_id":"{upload}","table_id":"{table}","text_columns":["concepto"],"label_column":"concepto"}}}"#, [401, 404, 422, 422]),
        sfn::<GetResultExamples>("f:run_id={run}&line_idx=0", [401, 404, 200, 200]),
        sfn::<MakeDefaultPrompt>("f:id={none}", [401, 403, 403, 404]),
        sfn::<GetRunDefaults>("", [401, 200, 200, 200]),
        sfn::<PlanClassification>(r#"j:{"req":{"dataset_id":"{dataset}"}}"#, [401, 403, 200, 200]),
        sfn::<StartClassification>(r#"j:{"req":{"dataset_id":"{none}"}}"#, [401, 403, 404, 404]),
        sfn::<ResumeRun>("f:id={none}&retry_failed=false", [401, 403, 404, 404]),
        sfn::<DiffPromptVersions>("f:from={pversion}&to={pversion}", [401, 404, 200, 200]),
        sfn::<GetRunProgress>("f:id={run}", [401, 404, 200, 200]),
        sfn::<RunResults>("f:id={run}&offset=0", [401, 404, 200, 200]),
        sfn::<RunCategories>("f:id={run}", [401, 404, 200, 200]),
        sfn::<CancelRun>("f:id={none}", [401, 403, 404, 404]),
        // ---- Server functions: review
        sfn::<DrawSample>(r#"j:{"req":{"run_id":"{none}"}}"#, [401, 403, 404, 404]),
        sfn::<ListReviews>("", [401, 200, 200, 200]),
        sfn::<ListRuns>("f:dataset_id={dataset}", [401, 404, 200, 200]),
        sfn::<ListRuns>("", [401, 200, 200, 200]),
        sfn::<GetReview>("f:id={sample}", [401, 404, 200, 200]),
        sfn::<GiveVerdict>(r#"j:{"sample_id":"{sample}","item_id":"{item}","input":{"verdict":"correct"}}"#, [401, 403, 200, 200]),
        sfn::<GetSamplePrompt>("f:id={sample}", [401, 404, 200, 200]),
        sfn::<GetCorrections>("f:id={sample}", [401, 404, 200, 200]),
        sfn::<AddCorrectionExamples>("f:id={none}&into_copy=false", [401, 403, 404, 404]),
        sfn::<GetSampleMetrics>("f:id={sample}", [401, 404, 200, 200]),
        sfn::<GetIterations>("f:id={sample}", [401, 404, 200, 200]),
        sfn::<PlanFromSample>(r#"j:{"id":"{sample}","req":{"scope":"dataset","prompt_version_id":"{version}"}}"#, [401, 403, 200, 200]),
        sfn::<RunFromSample>(r#"j:{"id":"{none}","req":{"scope":"sample","prompt_version_id":"{version}"}}"#, [401, 403, 404, 404]),
        sfn::<CompareIterations>("f:id={sample}&before={run}&after={run}", [401, 404, 200, 200]),
        // ---- Server functions: governed tables and imports
        sfn::<GetLogicalTables>("", [401, 200, 200, 200]),
        sfn::<CreateLogicalTable>(r#"j:{"req":{"table_name":"FN_TABLE"}}"#, [401, 403, 403, 200]),
        sfn::<GetTableSchema>("f:name=MATRIX", [401, 200, 200, 200]),
        sfn::<GetTableRows>(r#"j:{"name":"MATRIX","query":{"page_size":5}}"#, [401, 200, 200, 200]),
        sfn::<GetGridSpec>(r#"j:{"name":"MATRIX","filters":[]}"#, [401, 200, 200, 200]),
        sfn::<SaveGridRows>(r#"j:{"name":"MATRIX","operations":[]}"#, [401, 403, 200, 200]),
        sfn::<GetRowHistory>("f:name=MATRIX&id={lrow}", [401, 200, 200, 200]),
        sfn::<EditTableColumn>(r#"j:{"column_id":"{column}","column":{},"property_id":"{property}","property":{"display_order":1}}"#, [401, 403, 403, 200]),
        sfn::<ReorderTableColumns>(r#"j:{"table_id":"{ltable}","property_ids":["{property}"]}"#, [401, 403, 403, 200]),
        // ---- Server functions: reports and links
        sfn::<GetReports>("", [401, 200, 200, 200]),
        sfn::<GetReportSources>("", [401, 200, 200, 200]),
        sfn::<GetReportFields>(r#"j:{"source":{"table":"MATRIX"}}"#, [401, 200, 200, 200]),
        sfn::<PreviewReport>(r#"j:{"spec":{"source":{"table":"MATRIX"},"columns":["code"]}}"#, [401, 200, 200, 200]),
        sfn::<GetReport>("f:id={report}", [401, 403, 403, 200]),
        sfn::<SaveReport>(r#"j:{"id":null,"req":{"name":"fn","spec":{"source":{"table":"MATRIX"},"columns":["code"]}}}"#, [401, 403, 200, 200]),
        sfn::<DeleteReport>("f:id={none}", [401, 404, 404, 404]),
        sfn::<RunReport>(r#"j:{"id":"{report}","version":null,"parameters":{},"page":1}"#, [401, 403, 403, 200]),
        sfn::<SetReportGrants>(r#"j:{"id":"{report}","grants":[]}"#, [401, 403, 403, 200]),
        sfn::<GetReportLinks>("f:id={report}", [401, 403, 403, 200]),
        sfn::<CreateReportLink>(r#"j:{"id":"{report}","req":{}}"#, [401, 403, 403, 200]),
        sfn::<RevokeReportLink>("f:link={none}", [401, 404, 404, 404]),
        sfn::<RotateReportLink>("f:link={none}", [401, 404, 404, 404]),
        sfn::<GetLinkInventory>("", [401, 403, 403, 200]),
        sfn::<GetGridViews>("f:name=MATRIX", [401, 200, 200, 200]),
        sfn::<SaveGridView>(r#"j:{"name":"MATRIX","view":"mine","spec":{"search":"M-"},"shared":false}"#, [401, 200, 200, 200]),
        sfn::<DeleteGridView>(r#"j:{"name":"MATRIX","view":"mine"}"#, [401, 200, 200, 200]),
        sfn::<CountTableRows>(r#"j:{"name":"MATRIX","filters":[],"search":"M-"}"#, [401, 200, 200, 200]),
        sfn::<AddTableColumn>(
            r#"j:{"column":{"column_name":"fn_col","data_type":"Int"},"property":{"logical_table_id":"{none}","column_definition_id":"{none}"}}"#,
            [401, 403, 403, 404],
        ),
        sfn::<AddTableConstraint>(r#"j:{"req":{"logical_table_id":"{none}","constraint_name":"c","constraint_type":"UNIQUE","columns":["matrix_qty"]}}"#, [401, 403, 403, 404]),
        sfn::<GetImportConfigurations>("", [401, 200, 200, 200]),
        sfn::<SaveImportConfiguration>(
            r#"j:{"id":null,"input":{"name":"bad","source_type":"INLINE","target_logical_table_id":"{ltable}","mappings":[{"source_field":"x","target_field":"nope"}]}}"#,
            [401, 403, 422, 422],
        ),
        sfn::<DeleteImportConfiguration>("f:id={none}", [401, 404, 404, 404]),
        sfn::<GetSourceFields>(r#"j:{"source":{"kind":"dataset","id":"{dataset}"}}"#, [401, 404, 200, 200]),
        sfn::<DryRunImport>(r#"j:{"configuration_id":"{mconfig}","source":{"kind":"dataset","id":"{dataset}"}}"#, [401, 404, 200, 200]),
        sfn::<StartImport>(r#"j:{"configuration_id":"{none}","source":{"kind":"configured"}}"#, [401, 404, 404, 404]),
        sfn::<GetImportJobs>("", [401, 200, 200, 200]),
        sfn::<GetImportJob>("f:job_id={mjob}", [401, 404, 200, 200]),
        sfn::<GetImportErrors>("f:job_id={mjob}&offset=0", [401, 404, 200, 200]),
        sfn::<RollbackImport>("f:job_id={none}", [401, 404, 404, 404]),
        // ---- Server functions: marketing
        sfn::<GetMarketing>("", [401, 403, 200, 200]),
        sfn::<SaveEtlSource>(r#"j:{"id":null,"input":{"name":"","kind":"ads","url":"http://x","fields":{}}}"#, [401, 403, 403, 422]),
        sfn::<DeleteEtlSource>("f:id={none}", [401, 403, 403, 404]),
        sfn::<RunEtlSource>("f:source={none}", [401, 403, 403, 404]),
        sfn::<GetEtlRun>("f:id={erun}", [401, 403, 200, 200]),
        sfn::<GetEtlRejections>("f:id={erun}&offset=0", [401, 403, 200, 200]),
        sfn::<GetFunnel>(r#"j:{"dimension":"channel","query":{}}"#, [401, 403, 200, 200]),
        sfn::<MakeFunnelReport>("f:dimension=campaign", [401, 403, 403, 200]),
        sfn::<ExportFunnel>(r#"j:{"dimension":"channel","query":{}}"#, [401, 403, 403, 409]),
        sfn::<GetEventStats>("", [401, 403, 200, 200]),
    ]
}

fn fill(template: &str, vars: &HashMap<&str, String>) -> String {
    vars.iter().fold(template.to_string(), |s, (k, v)| s.replace(&format!("{{{k}}}"), v))
}

async fn call(server: &TestServer, client: &reqwest::Client, row: &Row, vars: &HashMap<&str, String>) -> anyhow::Result<(u16, String)> {
    let url = server.url(&fill(&row.path, vars));
    let method = reqwest::Method::from_bytes(row.method.as_bytes())?;
    let mut req = client.request(method, url);
    let body = fill(row.body, vars);
    req = match (row.via, body.as_str()) {
        (_, "") => req,
        (Via::Rest, "multipart") => {
            let part = reqwest::multipart::Part::bytes(b"concepto\nTaxi\n".to_vec()).file_name("m.csv");
            req.multipart(reqwest::multipart::Form::new().part("file", part))
        }
        (Via::Rest, json) => req.header("content-type", "application/json").body(json.to_string()),
        (Via::Fn, b) if b.starts_with("j:") => req.header("content-type", "application/json").body(b[2..].to_string()),
        (Via::Fn, b) => req.header("content-type", "application/x-www-form-urlencoded").body(b.trim_start_matches("f:").to_string()),
    };
    // Event streams stay open: the status line is the answer.
    let r = tokio::time::timeout(Duration::from_secs(20), req.send()).await??;
    let status = r.status().as_u16();
    let text = if row.path.ends_with("/events") { String::new() } else { r.text().await.unwrap_or_default() };
    Ok((status, text.chars().take(200).collect()))
}

#[tokio::test]
async fn every_route_and_server_function_answers_each_role_as_the_matrix_says() -> anyhow::Result<()> {
    let server = TestServer::start(&[("AUTH_RATE_PER_MINUTE", "10000"), ("LLM_CHUNK_SIZE", "25")]).await?;
    server.create_user("vera", "viewer", PASSWORD)?;
    server.create_user("ana", "analyst", PASSWORD)?;
    server.create_user("root", "admin", PASSWORD)?;
    let ana = server.client("ana", PASSWORD).await?;
    let root = server.client("root", PASSWORD).await?;

    // The analyst's resources the rows refer to.
    let mut csv = String::from("concepto\n");
    for i in 0..60 {
        csv.push_str(&format!("{} {i}\n", ["Taxi aeropuerto", "Factura luz", "Restaurante"][i % 3]));
    }
    let (dataset, run) = upload_and_run(&server, &ana, "matrix.csv", csv.into_bytes(), "concepto").await?;
    let run_id = run["id"].as_str().unwrap_or_default().to_string();
    let run = wait_run(&server, &ana, &run_id, Duration::from_secs(60), |r| r["status"] == "succeeded").await?;
    let upload_id = dataset["upload_id"].as_str().unwrap_or_default().to_string();
    let upload: Value = ana.get(server.url(&format!("/api/v1/uploads/{upload_id}"))).send().await?.json().await?;
    let table_id = upload["files"][0]["table_id"].as_str().unwrap_or_default().to_string();
    let sample: Value = ana.post(server.url("/api/v1/samples")).json(&json!({ "run_id": run_id, "seed": 1 })).send().await?.error_for_status()?.json().await?;
    let sample_id = sample["id"].as_str().unwrap_or_default().to_string();
    let items: Vec<Value> = ana.get(server.url(&format!("/api/v1/samples/{sample_id}/items"))).send().await?.json().await?;
    let prompt: Value = ana
        .post(server.url("/api/v1/prompts"))
        .json(&json!({ "name": "Privado", "template": "Clasifica", "categories": [{ "name": "Viajes" }] }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let users: Vec<Value> = root.get(server.url("/api/v1/admin/users")).send().await?.json().await?;
    let vera_id = users.iter().find(|u| u["username"] == "vera").and_then(|u| u["id"].as_str()).unwrap_or_default().to_string();
    // A governed table of the admin's, with a column, a property, a check and a row.
    let post = |path: &str, body: Value| root.post(server.url(path)).json(&body).send();
    let ltable: Value = post("/api/v1/metadata/tables", json!({ "table_name": "MATRIX" })).await?.error_for_status()?.json().await?;
    let ltable_id = ltable["id"].as_str().unwrap_or_default().to_string();
    let column: Value = post("/api/v1/metadata/columns", json!({ "column_name": "matrix_qty", "data_type": "Int" })).await?.error_for_status()?.json().await?;
    let column_id = column["id"].as_str().unwrap_or_default().to_string();
    let property: Value =
        post("/api/v1/metadata/properties", json!({ "logical_table_id": ltable_id, "column_definition_id": column_id, "display_order": 1 })).await?.error_for_status()?.json().await?;
    let constraint: Value = post(
        "/api/v1/metadata/constraints",
        json!({ "logical_table_id": ltable_id, "constraint_name": "qty_positive", "constraint_type": "CHECK", "check_expression": "matrix_qty >= 0", "error_message": "no negatives" }),
    )
    .await?
    .error_for_status()?
    .json()
    .await?;
    let lrow: Value = post("/api/v1/data/MATRIX", json!({ "code": "M-1", "column_values": { "matrix_qty": 3 } })).await?.error_for_status()?.json().await?;
    let mconfig: Value = post(
        "/api/v1/migration/configurations",
        json!({ "name": "matrix import", "source_type": "INLINE", "target_logical_table_id": ltable_id, "upsert_key": ["code"],
                "mappings": [{ "source_field": "code", "target_field": "code" }, { "source_field": "qty", "target_field": "matrix_qty", "transformation_type": "TO_NUMBER" }] }),
    )
    .await?
    .error_for_status()?
    .json()
    .await?;
    let mconfig_id = mconfig["id"].as_str().unwrap_or_default().to_string();
    let mjob: Value =
        post("/api/v1/migration/batch", json!({ "configuration_id": mconfig_id, "source_data": [{ "code": "M-2", "qty": 2 }] })).await?.error_for_status()?.json().await?;
    // A report of the admin's with a parameter, and a link to it that exports.
    let report: Value = post(
        "/api/v1/reports",
        json!({ "name": "MATRIX report", "spec": { "source": { "table": "MATRIX" }, "columns": ["code"], "filters": [{ "field": "code", "operator": "eq", "mode": "parameter" }] } }),
    )
    .await?
    .error_for_status()?
    .json()
    .await?;
    let report_id = report["id"].as_str().unwrap_or_default().to_string();
    let link: Value = post(&format!("/api/v1/reports/{report_id}/links"), json!({ "allow_export": true })).await?.error_for_status()?.json().await?;
    // A marketing source of the admin's (its tables made with it), pointed nowhere: its run fails.
    let esource: Value = post(
        "/api/v1/etl/sources",
        json!({ "name": "matrix ads", "kind": "ads", "url": "http://127.0.0.1:9/ads", "fields": { "date": { "path": "d" }, "campaign_id": { "path": "c" }, "channel": { "constant": "x" } } }),
    )
    .await?
    .error_for_status()?
    .json()
    .await?;
    let esource_id = esource["id"].as_str().unwrap_or_default().to_string();
    let eruns: Vec<Value> = root.post(server.url(&format!("/api/v1/etl/run?source_id={esource_id}&wait=60"))).send().await?.error_for_status()?.json().await?;
    anyhow::ensure!(eruns.first().is_some_and(|r| r["status"] == "failed"), "the run against nowhere fails: {eruns:?}");
    let vars: HashMap<&str, String> = HashMap::from([
        ("esource", esource_id),
        ("dim", "channel".to_string()),
        ("nouser", "nobody".to_string()),
        ("lineidx", "0".to_string()),
        ("erun", eruns.first().and_then(|r| r["id"].as_str()).unwrap_or_default().to_string()),
        ("report", report_id),
        ("stoken", link["token"].as_str().unwrap_or_default().to_string()),
        ("ltable", ltable_id),
        ("lname", "MATRIX".to_string()),
        ("tperm", "table:write".to_string()),
        ("column", column_id),
        ("property", property["id"].as_str().unwrap_or_default().to_string()),
        ("constraint", constraint["id"].as_str().unwrap_or_default().to_string()),
        ("lrow", lrow["id"].as_str().unwrap_or_default().to_string()),
        ("mconfig", mconfig_id),
        ("mjob", mjob["job_id"].as_str().unwrap_or_default().to_string()),
        ("none", uuid::Uuid::new_v4().to_string()),
        ("password", PASSWORD.to_string()),
        ("upload", upload_id),
        ("table", table_id),
        ("dataset", dataset["id"].as_str().unwrap_or_default().to_string()),
        ("run", run_id),
        ("version", run["prompt_version_id"].as_str().unwrap_or_default().to_string()),
        ("sample", sample_id),
        ("item", items.first().and_then(|i| i["id"].as_str()).unwrap_or_default().to_string()),
        ("prompt", prompt["prompt_id"].as_str().or(prompt["id"].as_str()).unwrap_or_default().to_string()),
        ("pversion", prompt["id"].as_str().unwrap_or_default().to_string()),
        ("vera", vera_id),
        ("role", "viewer".to_string()),
        ("norole", "no-such-role".to_string()),
    ]);
    for (k, v) in &vars {
        anyhow::ensure!(!v.is_empty(), "fixture {k} is missing");
    }

    let rows = matrix();
    // Complete: every REST operation in the OpenAPI document and every registered server function.
    let doc: Value = reqwest::get(server.url("/api/v1/openapi.json")).await?.json().await?;
    let mut documented = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().into_iter().flatten() {
        for method in ops.as_object().into_iter().flatten().map(|(m, _)| m.to_uppercase()) {
            documented.insert(format!("{method} {path}"));
        }
    }
    let covered: BTreeSet<String> = rows
        .iter()
        .filter(|r| matches!(r.via, Via::Rest))
        .map(|r| format!("{} {}", r.method, r.path.split('?').next().unwrap_or_default()))
        .collect();
    let normalise = |s: &str| {
        let mut out = String::new();
        let mut depth = 0;
        for c in s.chars() {
            match c {
                '{' => { depth += 1; out.push('*'); }
                '}' => depth -= 1,
                _ if depth > 0 => {}
                _ => out.push(c),
            }
        }
        out
    };
    let documented: BTreeSet<String> = documented.iter().map(|s| normalise(s)).collect();
    let covered_norm: BTreeSet<String> = covered.iter().map(|s| normalise(s)).collect();
    let missing: Vec<_> = documented.difference(&covered_norm).collect();
    assert!(missing.is_empty(), "REST operations without a row in the matrix: {missing:?}");
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths().map(|(p, _)| p.to_string()).collect();
    let fn_rows: BTreeSet<String> = rows.iter().filter(|r| matches!(r.via, Via::Fn)).map(|r| r.path.clone()).collect();
    let source_fns = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../app/src/api"))?
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .map(|s| s.matches("#[server").count())
        .sum::<usize>();
    assert_eq!(fn_rows.len(), source_fns, "every #[server] function in app/src/api has one row");
    let unlisted: Vec<_> = registered.difference(&fn_rows).collect();
    assert!(unlisted.is_empty(), "server functions without a row: {unlisted:?}");

    // Walk the table for every role.
    let mut failures = Vec::new();
    let mut calls = 0;
    let mut clients: Vec<reqwest::Client> = Vec::new();
    for role in ROLES {
        clients.push(signed_in(&server, role).await?);
    }
    for row in &rows {
        for (i, role) in ROLES.iter().enumerate() {
            let fresh;
            let client = if row.own_session {
                fresh = signed_in(&server, role).await?;
                &fresh
            } else {
                &clients[i]
            };
            let (status, body) = call(&server, client, row, &vars).await?;
            calls += 1;
            if status != row.expect[i] {
                failures.push(format!("{:<6} {:<70} as {role:<9} expected {} got {status}: {body}", row.method, row.path, row.expect[i]));
            }
        }
        // "Sign out everywhere" ends the shared sessions too: sign them in again.
        if row.own_session {
            for (i, role) in ROLES.iter().enumerate() {
                clients[i] = signed_in(&server, role).await?;
            }
        }
    }
    // Reading is not a change: the read-only server functions leave no audit entry; a change does.
    let db = server.db().await?;
    let audited = |pattern: &'static str| {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM audit_log WHERE action LIKE $1").bind(pattern).fetch_one(&db).await
        }
    };
    assert_eq!(audited("%/api/read/%").await?, 0);
    assert!(audited("POST /api/admin_create_user%").await? >= 4, "every call of a change is audited");

    // Arguments that do not decode are the caller's mistake: 400, like malformed REST requests.
    for (path, body) in [(app::api::ChangePassword::PATH, "id=zzz"), (app::api::RevokeToken::PATH, "id=not-a-uuid")] {
        let r = clients[3].post(server.url(path)).header("content-type", "application/x-www-form-urlencoded").body(body).send().await?;
        assert_eq!(r.status(), 400, "{path}: {}", r.text().await?);
    }
    println!("{calls} calls over {} rows ({} REST operations, {} server functions)", rows.len(), covered.len(), fn_rows.len());
    assert!(failures.is_empty(), "{} answers differ from the matrix:\n{}", failures.len(), failures.join("\n"));
    Ok(())
}

async fn signed_in(server: &TestServer, role: &str) -> anyhow::Result<reqwest::Client> {
    match role {
        "anonymous" => Ok(reqwest::Client::builder().cookie_store(true).build()?),
        "viewer" => server.client("vera", PASSWORD).await,
        "analyst" => server.client("ana", PASSWORD).await,
        _ => server.client("root", PASSWORD).await,
    }
}
