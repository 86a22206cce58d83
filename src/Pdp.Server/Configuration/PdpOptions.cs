using Pdp.Policies.Sandbox;

namespace Pdp.Server.Configuration;

/// <summary>
/// Server settings, bound from the <c>Pdp</c> configuration section (appsettings.json, <c>Pdp__X</c>
/// environment variables, <c>--Pdp:X=</c> arguments) and validated at start-up.
/// </summary>
public sealed class PdpOptions
{
    public const string Section = "Pdp";

    /// <summary>Directory of policy modules and <c>data/</c>. Default <c>policies</c>.</summary>
    public string PolicyDir { get; set; } = "policies";

    /// <summary>
    /// This instance's name in the shared review store and the fleet decision log (who committed what). Default the
    /// host name, which in Kubernetes is the pod name.
    /// </summary>
    public string InstanceId { get; set; } = Environment.MachineName;

    /// <summary>Address both listeners bind. Default loopback: a sidecar serves its pod, not the network.</summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>gRPC port (HTTP/2 without TLS). Default 50051.</summary>
    public int GrpcPort { get; set; } = 50051;

    /// <summary>Serve gRPC over plaintext TCP on <see cref="GrpcPort"/> (callers are unauthenticated there). Default true.</summary>
    public bool PlaintextGrpc { get; set; } = true;

    /// <summary>Path of a Unix domain socket serving gRPC, for a sidecar whose app shares its file system. Default none.</summary>
    public string UnixSocket { get; set; } = string.Empty;

    public TlsOptions Tls { get; set; } = new();

    /// <summary>Admin port (HTTP/1.1: /healthz, /readyz, /metrics). Default 8282.</summary>
    public int AdminPort { get; set; } = 8282;

    /// <summary>Verdict when no policy applies: <c>deny</c> (default), <c>require_human</c> or <c>allow</c>.</summary>
    public string DefaultVerdict { get; set; } = "deny";

    /// <summary>Control owner of decisions no policy covers. Default <c>pdp-operators</c>.</summary>
    public string DefaultOwner { get; set; } = "pdp-operators";

    /// <summary>Approver group for require-human verdicts that name none. Default empty (such verdicts fail closed).</summary>
    public string DefaultApproverGroup { get; set; } = string.Empty;

    /// <summary>Largest request message accepted; larger ones get RESOURCE_EXHAUSTED. Default 1 MiB.</summary>
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Deepest nesting of a Struct (context, parameters, attributes). Default 20, at most 30: protobuf
    /// itself stops parsing at 100 message levels, and each Struct level costs three.
    /// </summary>
    public int MaxStructDepth { get; set; } = 20;

    /// <summary>Engines kept warm for reuse. Default twice the processor count.</summary>
    public int MaxPooledEngines { get; set; } = Environment.ProcessorCount * 2;

    public ReviewOptions Review { get; set; } = new();

    public IdempotencyOptions Idempotency { get; set; } = new();

    public AuditOptions Audit { get; set; } = new();

    public OverloadOptions Overload { get; set; } = new();

    public ShutdownOptions Shutdown { get; set; } = new();

    public SandboxOptions Sandbox { get; set; } = new();

    public ReloadOptions Reload { get; set; } = new();

    /// <summary>Envoy external authorization (<c>Pdp:Envoy</c>, served on the gRPC listeners).</summary>
    public EnvoyOptions Envoy { get; set; } = new();

    /// <summary>The OpenID AuthZEN Authorization API listener (<c>Pdp:AuthZen</c>).</summary>
    public AuthZenOptions AuthZen { get; set; } = new();

    /// <summary>The reviewer console (<c>Pdp:Console</c>); off unless its port is set.</summary>
    public ConsoleOptions Console { get; set; } = new();
}

public sealed class ReviewOptions
{
    /// <summary>How long a review stays open when the policy does not say. Default 3600 s.</summary>
    public int DefaultTtlSeconds { get; set; } = 3600;

    /// <summary>Longest review window a policy may ask for. Default 86400 s.</summary>
    public int MaxTtlSeconds { get; set; } = 86_400;

    /// <summary>
    /// Approvals recorded sooner than this after the decision count as rubber-stamp approvals in the
    /// metrics: too fast to have been a real review. Default 10 s.
    /// </summary>
    public int MinSeconds { get; set; } = 10;

    /// <summary>
    /// SPIFFE IDs (exact, or ending in <c>/*</c> for everything below a path) allowed to record
    /// dispositions when mTLS is on. Empty: with mTLS on, nobody may, which fails safe.
    /// </summary>
    public IList<string> Recorders { get; } = [];

    /// <summary>How often pending reviews are checked for expiry. Default 1000 ms.</summary>
    public int ExpirySweepMilliseconds { get; set; } = 1000;

    /// <summary>
    /// Decisions kept in memory for GetDecision, WatchDecision and reversals, oldest forgotten first
    /// (pending reviews are never forgotten; the trail keeps everything). Default 20,000 — each retained
    /// decision holds its head and recorded payload bytes, about 1–2 KB (docs/benchmarks.md).
    /// </summary>
    public int RetainDecisions { get; set; } = 20_000;

    /// <summary>
    /// Where review state lives: <c>local</c> (default: in memory, rebuilt from this instance's trail, no setup) or
    /// <c>postgres</c> (shared by every instance on one database; see <see cref="Postgres"/> and docs/review-plane.md).
    /// </summary>
    public string Store { get; set; } = "local";

    public PostgresReviewOptions Postgres { get; set; } = new();

    /// <summary>Verified reviewer identity (<c>Pdp:Review:Oidc</c>); off unless an issuer is set.</summary>
    public OidcOptions Oidc { get; set; } = new();
}

/// <summary>
/// Reviewers proven by their identity provider: with an issuer set, a disposition's reviewer is the claim of the
/// bearer token it carries, never what the calling tool writes. Without it (development, trusted tools only) the
/// <c>reviewer</c> field is taken as sent.
/// </summary>
public sealed class OidcOptions
{
    /// <summary>The identity provider's issuer (<c>iss</c>) a reviewer token must carry. Setting it turns verified reviewers on.</summary>
    public string Issuer { get; set; } = string.Empty;

    /// <summary>The audience (<c>aud</c>) a reviewer token must be issued for.</summary>
    public string Audience { get; set; } = string.Empty;

    /// <summary>A JWKS file, re-read when it changes.</summary>
    public string JwksPath { get; set; } = string.Empty;

    /// <summary>A JWKS URL (HTTPS, or HTTP on loopback only), fetched and cached.</summary>
    public string JwksUrl { get; set; } = string.Empty;

    /// <summary>How often a JWKS URL is fetched again (an unknown key id fetches sooner, at most every 30 s). Default 300 s.</summary>
    public int JwksRefreshSeconds { get; set; } = 300;

    /// <summary>The claim naming the reviewer. Default <c>email</c>.</summary>
    public string ReviewerClaim { get; set; } = "email";

    /// <summary>The claim listing the reviewer's groups; empty (default): membership comes from <c>data.groups</c>.</summary>
    public string GroupsClaim { get; set; } = string.Empty;

    /// <summary>Accepted signature algorithms. Default RS256 and ES256; never none or HMAC.</summary>
    public IList<string> Algorithms { get; } = [];

    /// <summary>Tolerance for expiry and not-before. Default 30 s, at most 300.</summary>
    public int ClockSkewSeconds { get; set; } = 30;

    public bool Enabled => Issuer.Length > 0;
}

/// <summary>The shared review store (<c>Pdp:Review:Postgres</c>), used when <c>Pdp:Review:Store</c> is <c>postgres</c>.</summary>
public sealed class PostgresReviewOptions
{
    /// <summary>Npgsql connection string. Keep its password in a secret (an environment variable), never in a file in the image.</summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>How long start-up waits for the database (and its migration) before refusing to start. Default 30 s.</summary>
    public int StartupTimeoutSeconds { get; set; } = 30;

    /// <summary>Longest wait for one statement; a require-human Decide waits at most about this long. Default 5 s.</summary>
    public int CommandTimeoutSeconds { get; set; } = 5;

    /// <summary>How often the fleet decision log looks for new trail records. Default 100 ms.</summary>
    public int ShipIntervalMilliseconds { get; set; } = 100;

    /// <summary>Most trail records shipped in one transaction. Default 500.</summary>
    public int ShipBatchSize { get; set; } = 500;
}

public sealed class IdempotencyOptions
{
    /// <summary>How long a <c>request_id</c> is remembered. Default 600 s.</summary>
    public int WindowSeconds { get; set; } = 600;

    /// <summary>Most request ids remembered at once; the oldest are forgotten first. Default 100,000.</summary>
    public int MaxEntries { get; set; } = 100_000;
}

public sealed class AuditOptions
{
    /// <summary>The trail's active file; rotated files sit beside it. Default <c>data/audit.jsonl</c>.</summary>
    public string Path { get; set; } = "data/audit.jsonl";

    /// <summary>
    /// <c>durable</c> (default): a decision or disposition is fsync'd before its answer is sent; a crash
    /// loses nothing acknowledged. <c>buffered</c>: written to the OS before the answer and fsync'd every
    /// second; a power loss (not a process crash) can lose up to that second.
    /// </summary>
    public string Durability { get; set; } = "durable";

    /// <summary>Size at which the active file is rotated. Default 64 MiB.</summary>
    public long MaxFileBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Paths into the request that are masked in the trail, e.g. <c>action.parameters.password</c> or
    /// <c>context.*_token</c>-style single-segment wildcards (<c>context.*</c>). Policies add their own with <c>redact</c>.
    /// </summary>
    public IList<string> Redact { get; } = [];

    /// <summary>When checkpoints are written (<c>Pdp:Audit:Checkpoint</c>); start-up reads only what follows the newest.</summary>
    public AuditCheckpointOptions Checkpoint { get; set; } = new();

    /// <summary>Retention of rotated segments a checkpoint covers (<c>Pdp:Audit:Retention</c>); off unless a limit is set.</summary>
    public AuditRetentionOptions Retention { get; set; } = new();

    /// <summary>
    /// Verify the whole retained trail once after start, in the background, as <c>pdp audit verify</c> does (start-up
    /// itself verifies only what follows the newest checkpoint). Off by default: it reads every retained byte, which a
    /// sidecar pays in CPU and I/O; progress and result are metrics (<c>pdp_audit_background_verified_records</c>,
    /// <c>pdp_audit_background_verification_result</c>) and a failure is logged as an error naming file, seq and problem.
    /// </summary>
    public bool VerifyAfterStart { get; set; }
}

public sealed class AuditCheckpointOptions
{
    /// <summary>Most records between checkpoints. Default 10 000; 1..10 000 000 (there is no "never").</summary>
    public long EveryRecords { get; set; } = 10_000;

    /// <summary>Longest time between checkpoints while records are written. Default 60 s; 1..86 400.</summary>
    public int EverySeconds { get; set; } = 60;
}

public sealed class AuditRetentionOptions
{
    /// <summary>Covered segments older than this go. Unset: no age limit; when set, at least 60.</summary>
    public long? MaxAgeSeconds { get; set; }

    /// <summary>Covered segments go, oldest first, while the trail's files exceed this. Unset: no size limit; when set, at least 2 × MaxFileBytes.</summary>
    public long? MaxBytes { get; set; }

    /// <summary>Where removed segments are moved instead of deleted. Unset: deleted.</summary>
    public string? ArchiveDirectory { get; set; }
}
