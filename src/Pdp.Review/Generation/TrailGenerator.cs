using System.Globalization;
using System.Text.Json.Nodes;
using Pdp.Audit;
using Pdp.Audit.Checkpoints;
using Pdp.Review.Checkpoints;
using Pdp.Review.Events;

namespace Pdp.Review.Generation;

/// <summary>
/// Writes a synthetic trail for start-up and retention benchmarks: decisions in the server's record shape (one in 50
/// sent to a human, some settled, some expired; 15% with a request id), one every 10 ms of generated time ending now,
/// checkpointed as the server would checkpoint it, so the server starts on it as on its own trail. Decision
/// <see cref="Id"/>(N) goes to a human when N is a multiple of 50, and expires at N + 1 when
/// N ends in 50; the one at every multiple of 100 expires too unless it is in the last hour (360 000 records), where it
/// stays pending, as reviews (one hour) would on a live server.
/// </summary>
public sealed class TrailGenerator(string path, long records, long maxFileBytes, long checkpointEvery)
{
    private const int InFlight = 2048;

    /// <summary>Records in the last hour of generated time: reviews last an hour, so only those can still be pending.</summary>
    private const long PendingWindow = 360_000;

    /// <summary>Writes the records and returns the trail still open (disposing it writes the final checkpoint).</summary>
    public async Task<AuditTrail> WriteAsync(TextWriter progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var clock = new GeneratedClock(DateTimeOffset.UtcNow - TimeSpan.FromMilliseconds(10 * records));
        var options = new AuditTrailOptions
        {
            Path = path,
            Durability = AuditDurability.Buffered,
            MaxFileBytes = maxFileBytes,
            MaxBatch = 4096,
            Checkpoints = new CheckpointOptions { EveryRecords = checkpointEvery, Interval = TimeSpan.FromDays(1) },
        };

        // The server's defaults: 20 000 decisions kept, a 600 s idempotency window of at most 100 000 entries.
        var state = new ReviewTrailState(20_000, TimeSpan.FromSeconds(600), 100_000, clock);
        var trail = await AuditTrail.OpenAsync(options, state, clock, cancellationToken).ConfigureAwait(false);
        foreach (var _ in trail.ReadRecovered())
        {
            // Only feeds the state when appending to an existing trail.
        }

        var pending = new List<Task>(InFlight);
        for (long i = 1; i <= records; i++)
        {
            clock.Now += TimeSpan.FromMilliseconds(10);
            var (type, payload) = Record(i, clock.Now);
            pending.Add(trail.AppendAsync(type, payload, cancellationToken).AsTask());
            if (pending.Count == InFlight)
            {
                await Task.WhenAll(pending).ConfigureAwait(false);
                pending.Clear();
            }

            if (i % 1_000_000 == 0)
            {
                await progress.WriteLineAsync($"{i.ToString("N0", CultureInfo.InvariantCulture)} records").ConfigureAwait(false);
            }
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
        return trail;
    }

    private (string Type, JsonObject Payload) Record(long i, DateTimeOffset at)
    {
        var decisionId = Id(i);
        if (i % 100 == 51 || (i % 100 == 1 && i < records - PendingWindow))
        {
            // Settles the require-human decision made one record earlier, as the expiry sweep would have.
            return (ReviewEventJson.ExpiryType, new JsonObject { ["decision_id"] = Id(i - 1), ["expired_at"] = EventTime.Format(at) });
        }

        var human = i % 50 == 0;
        var withRequest = i % 7 == 0;
        var input = new JsonObject
        {
            ["agent"] = new JsonObject { ["id"] = $"agent-{i % 97}", ["on_behalf_of"] = $"user-{i % 1013}" },
            ["action"] = new JsonObject
            {
                ["type"] = human ? "prod.deploy" : "ticket.read",
                ["target"] = $"svc-{i % 4099}",
                ["parameters"] = new JsonObject { ["environment"] = i % 3 == 0 ? "production" : "staging", ["reason"] = "generated for the start-up benchmark" },
            },
            ["context"] = new JsonObject { ["incident"] = i % 11 == 0, ["ticket"] = $"T-{i % 100_003}" },
        };
        if (withRequest)
        {
            input["request_id"] = $"req-{i}";
        }

        var response = new JsonObject
        {
            ["decision_id"] = decisionId,
            ["verdict"] = human ? "VERDICT_REQUIRE_HUMAN" : "VERDICT_ALLOW",
            ["reasons"] = new JsonArray(new JsonObject { ["policy_id"] = human ? "prod-deploy" : "read-only", ["message"] = human ? "production deploys need a human" : "reads are allowed" }),
            ["control_owner"] = "platform-team",
            ["policy_revision"] = "generated",
        };
        if (human)
        {
            response["review"] = new JsonObject { ["approver_group"] = "sre", ["expires_at"] = EventTime.FormatProtobuf(at + TimeSpan.FromHours(1)), ["min_approvals"] = 1 };
        }

        return (DecisionEventJson.Type, new JsonObject
        {
            ["decision_id"] = decisionId,
            ["decided_at"] = EventTime.Format(at),
            ["input"] = input,
            ["response"] = response,
            ["approver_group"] = "sre",
            ["action_digest"] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            ["request_digest"] = withRequest ? "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210" : string.Empty,
            ["deciding_policy"] = human ? "prod-deploy" : "read-only",
            ["outcomes"] = new JsonArray(new JsonObject { ["policy_id"] = human ? "prod-deploy" : "read-only", ["verdict"] = human ? "require_human" : "allow", ["error"] = null }),
        });
    }

    /// <summary>The id of generated decision <paramref name="n"/>: a GUID, as the server's ids are, with n in its last group.</summary>
    public static string Id(long n) => $"00000000-0000-4000-8000-{n:D12}";

    /// <summary>Generated time: records are stamped as if written at 100 per second, ending about now.</summary>
    private sealed class GeneratedClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
