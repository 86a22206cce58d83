using Microsoft.Extensions.Options;
using Pdp.Audit;
using Pdp.Evaluation;
using Pdp.Evaluation.Results;
using Pdp.Server.Spiffe;

namespace Pdp.Server.Configuration;

/// <summary>Refuses to start on settings that would make the sidecar unsafe or unusable.</summary>
public sealed class PdpOptionsValidator : IValidateOptions<PdpOptions>
{
    public ValidateOptionsResult Validate(string? name, PdpOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.PolicyDir))
        {
            failures.Add("Pdp:PolicyDir is required.");
        }

        if (!System.Net.IPAddress.TryParse(options.ListenAddress, out _))
        {
            failures.Add($"Pdp:ListenAddress '{options.ListenAddress}' is not an IP address.");
        }

        CheckPort(options.GrpcPort, "GrpcPort", failures);
        CheckPort(options.AdminPort, "AdminPort", failures);
        if (options.GrpcPort == options.AdminPort && options.GrpcPort != 0)
        {
            failures.Add("Pdp:GrpcPort and Pdp:AdminPort must differ.");
        }

        if (!VerdictText.TryParse(options.DefaultVerdict, out _))
        {
            failures.Add($"Pdp:DefaultVerdict '{options.DefaultVerdict}' must be deny, require_human or allow.");
        }

        if (options.MaxMessageBytes is < 1024 or > 64 * 1024 * 1024)
        {
            failures.Add("Pdp:MaxMessageBytes must be between 1024 and 67108864.");
        }

        if (options.MaxStructDepth is < 1 or > 30)
        {
            // Protobuf refuses messages nested beyond 100 levels; each Struct level costs three.
            failures.Add("Pdp:MaxStructDepth must be between 1 and 30.");
        }

        if (options.Review.DefaultTtlSeconds < 1 || options.Review.MaxTtlSeconds < options.Review.DefaultTtlSeconds)
        {
            failures.Add("Pdp:Review:DefaultTtlSeconds must be positive and at most Pdp:Review:MaxTtlSeconds.");
        }

        if (options.Idempotency.WindowSeconds is < 1 or > 7 * 86_400 || options.Idempotency.MaxEntries is < 1 or > 10_000_000)
        {
            failures.Add("Pdp:Idempotency:WindowSeconds must be 1..604800 and MaxEntries 1..10000000.");
        }

        if (options.Review.ExpirySweepMilliseconds is < 10 or > 60_000 || options.Review.RetainDecisions is < 1 or > 10_000_000)
        {
            failures.Add("Pdp:Review:ExpirySweepMilliseconds must be 10..60000 and RetainDecisions 1..10000000.");
        }

        CheckReviewStore(options, failures);
        CheckOidc(options.Review.Oidc, failures);

        if (options.Tls.Enabled)
        {
            CheckPort(options.Tls.Port, "Tls:Port", failures);
            if (string.IsNullOrWhiteSpace(options.Tls.CertificatePath) || string.IsNullOrWhiteSpace(options.Tls.KeyPath))
            {
                failures.Add("Pdp:Tls:CertificatePath and Pdp:Tls:KeyPath are required when Pdp:Tls:Enabled is true.");
            }

            if (options.Tls.TrustDomains.Count == 0)
            {
                failures.Add("Pdp:Tls:TrustDomains must name at least one trust domain and its bundle when Pdp:Tls:Enabled is true.");
            }

            if (options.Tls.ReloadSeconds is < 1 or > 3600)
            {
                failures.Add("Pdp:Tls:ReloadSeconds must be between 1 and 3600.");
            }
        }

        foreach (var recorder in options.Review.Recorders)
        {
            var id = recorder.EndsWith("/*", StringComparison.Ordinal) ? recorder[..^2] : recorder;
            if (!SpiffeId.TryParse(id, out _, out var error))
            {
                failures.Add($"Pdp:Review:Recorders: '{recorder}' {error}.");
            }
        }

        if (!options.PlaintextGrpc && !options.Tls.Enabled && string.IsNullOrEmpty(options.UnixSocket))
        {
            failures.Add("With Pdp:PlaintextGrpc false, enable Pdp:Tls or Pdp:UnixSocket: the server would have no gRPC listener.");
        }

        if (options.Overload.MaxConcurrentDecisions is < 1 or > 10_000 || options.Overload.MaxQueuedDecisions is < 0 or > 100_000 || options.Overload.MaxQueueWaitMilliseconds is < 0 or > 60_000)
        {
            failures.Add("Pdp:Overload: MaxConcurrentDecisions must be 1..10000, MaxQueuedDecisions 0..100000, MaxQueueWaitMilliseconds 0..60000.");
        }

        if (options.Shutdown.DrainDelaySeconds is < 0 or > 300 || options.Shutdown.TimeoutSeconds is < 1 or > 600)
        {
            failures.Add("Pdp:Shutdown: DrainDelaySeconds must be 0..300 and TimeoutSeconds 1..600.");
        }

        if (options.Audit.Durability is not ("durable" or "buffered"))
        {
            failures.Add($"Pdp:Audit:Durability '{options.Audit.Durability}' must be durable or buffered.");
        }

        failures.AddRange(ToAuditTrailOptions(options).Validate().Select(p => "Pdp:Audit: " + p));

        if (options.Reload.DebounceMilliseconds is < 0 or > 60_000 || options.Reload.PollSeconds is < 0 or > 86_400)
        {
            failures.Add("Pdp:Reload:DebounceMilliseconds must be 0..60000 and Pdp:Reload:PollSeconds 0..86400 (0 disables polling).");
        }

        // Envoy external authorization (src/Pdp.Server/Mesh).
        failures.AddRange(options.Envoy.Validate().Select(p => "Pdp:Envoy:" + p));

        failures.AddRange(ToEvaluationOptions(options).Validate().Select(p => "Pdp:" + p));
        failures.AddRange(options.AuthZen.Validate(options));
        failures.AddRange(options.Console.Validate(options));
        failures.AddRange(options.Notify.Validate());
        if (!(options.Review.EscalateAt is > 0 and < 1))
        {
            failures.Add("Pdp:Review:EscalateAt must be a fraction of the review window above 0 and below 1 (default 0.5).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public static EvaluationOptions ToEvaluationOptions(PdpOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // An unparsable verdict is reported by Validate; deny is the safe stand-in until then.
        var verdict = VerdictText.TryParse(options.DefaultVerdict, out var parsed) ? parsed : Verdict.Deny;
        return new EvaluationOptions
        {
            DefaultVerdict = verdict,
            DefaultOwner = options.DefaultOwner,
            DefaultApproverGroup = options.DefaultApproverGroup,
            DefaultEscalationGroup = options.Review.EscalationGroup,
            DefaultReviewTtl = TimeSpan.FromSeconds(options.Review.DefaultTtlSeconds),
            MaxReviewTtl = TimeSpan.FromSeconds(options.Review.MaxTtlSeconds),
            MaxPooledEngines = options.MaxPooledEngines,
            Sandbox = options.Sandbox,
        };
    }

    public static AuditTrailOptions ToAuditTrailOptions(PdpOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new AuditTrailOptions
        {
            // Relative to the working directory, like the policy directory.
            Path = System.IO.Path.GetFullPath(options.Audit.Path),
            Durability = options.Audit.Durability == "buffered" ? AuditDurability.Buffered : AuditDurability.Durable,
            MaxFileBytes = options.Audit.MaxFileBytes,
            Checkpoints = new Pdp.Audit.Checkpoints.CheckpointOptions
            {
                EveryRecords = options.Audit.Checkpoint.EveryRecords,
                Interval = TimeSpan.FromSeconds(options.Audit.Checkpoint.EverySeconds),
                Retention = options.Audit.Retention is { MaxAgeSeconds: null, MaxBytes: null } ? null : new Pdp.Audit.Checkpoints.RetentionOptions
                {
                    MaxAge = options.Audit.Retention.MaxAgeSeconds is { } age ? TimeSpan.FromSeconds(Math.Clamp(age, 0, 100L * 365 * 86_400)) : null,
                    MaxBytes = options.Audit.Retention.MaxBytes,
                    ArchiveDirectory = options.Audit.Retention.ArchiveDirectory is { } archive ? System.IO.Path.GetFullPath(archive) : null,
                },
            },
        };
    }

    private static void CheckPort(int port, string name, List<string> failures)
    {
        if (port is < 0 or > 65535)
        {
            failures.Add($"Pdp:{name} must be between 0 and 65535.");
        }
    }

    private static void CheckReviewStore(PdpOptions options, List<string> failures)
    {
        var review = options.Review;
        if (review.Store is not ("local" or "postgres"))
        {
            failures.Add($"Pdp:Review:Store must be 'local' or 'postgres', not '{review.Store}'.");
            return;
        }

        if (string.IsNullOrWhiteSpace(options.InstanceId) || options.InstanceId.Length > 128)
        {
            failures.Add("Pdp:InstanceId must be 1..128 characters.");
        }

        if (review.Store != "postgres")
        {
            return;
        }

        var postgres = review.Postgres;
        if (string.IsNullOrWhiteSpace(postgres.ConnectionString))
        {
            failures.Add("Pdp:Review:Postgres:ConnectionString is required when Pdp:Review:Store is 'postgres'.");
        }
        else
        {
            try
            {
                _ = new Npgsql.NpgsqlConnectionStringBuilder(postgres.ConnectionString);
            }
            catch (ArgumentException e)
            {
                // The message names the bad keyword, never the password's value.
                failures.Add($"Pdp:Review:Postgres:ConnectionString is not a valid connection string: {e.Message}");
            }
        }

        if (postgres.StartupTimeoutSeconds is < 1 or > 600 || postgres.CommandTimeoutSeconds is < 1 or > 120)
        {
            failures.Add("Pdp:Review:Postgres: StartupTimeoutSeconds must be 1..600 and CommandTimeoutSeconds 1..120.");
        }

        if (postgres.ShipIntervalMilliseconds is < 10 or > 60_000 || postgres.ShipBatchSize is < 1 or > 10_000)
        {
            failures.Add("Pdp:Review:Postgres: ShipIntervalMilliseconds must be 10..60000 and ShipBatchSize 1..10000.");
        }
    }

    private static void CheckOidc(OidcOptions oidc, List<string> failures)
    {
        if (!oidc.Enabled)
        {
            if (oidc.Audience.Length > 0 || oidc.JwksPath.Length > 0 || oidc.JwksUrl.Length > 0)
            {
                failures.Add("Pdp:Review:Oidc: Audience and Jwks* are set but Issuer is not: set Issuer to turn verified reviewers on.");
            }

            return;
        }

        if (string.IsNullOrWhiteSpace(oidc.Audience))
        {
            failures.Add("Pdp:Review:Oidc:Audience is required with an issuer.");
        }

        if (oidc.JwksPath.Length > 0 == oidc.JwksUrl.Length > 0)
        {
            failures.Add("Pdp:Review:Oidc: set exactly one of JwksPath and JwksUrl.");
        }
        else if (oidc.JwksUrl.Length > 0 && !(Uri.TryCreate(oidc.JwksUrl, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || (url.Scheme == Uri.UriSchemeHttp && url.IsLoopback))))
        {
            failures.Add("Pdp:Review:Oidc:JwksUrl must be an https URL (http only on loopback).");
        }
        else if (oidc.JwksPath.Length > 0 && !File.Exists(oidc.JwksPath))
        {
            failures.Add($"Pdp:Review:Oidc:JwksPath: no file at '{oidc.JwksPath}'.");
        }

        if (string.IsNullOrWhiteSpace(oidc.ReviewerClaim))
        {
            failures.Add("Pdp:Review:Oidc:ReviewerClaim must name a claim.");
        }

        foreach (var algorithm in oidc.Algorithms.Where(a => !Pdp.Reviewers.ReviewerTokenSettings.Allowable.Contains(a)))
        {
            failures.Add($"Pdp:Review:Oidc:Algorithms: '{algorithm}' is not an allowed asymmetric algorithm ({string.Join(", ", Pdp.Reviewers.ReviewerTokenSettings.Allowable.Order())}); none and HMAC never are.");
        }

        if (oidc.ClockSkewSeconds is < 0 or > 300 || oidc.JwksRefreshSeconds is < 10 or > 86_400)
        {
            failures.Add("Pdp:Review:Oidc: ClockSkewSeconds must be 0..300 and JwksRefreshSeconds 10..86400.");
        }
    }
}
