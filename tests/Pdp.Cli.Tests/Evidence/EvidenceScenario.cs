using Xunit;
using System.Diagnostics;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Pdp.Contracts.V1;
using Pdp.TestSupport;

namespace Pdp.Cli.Tests.Evidence;

/// <summary>
/// Drives the real server (its own process, over gRPC on loopback) through a scripted review scenario and logs what
/// it did in <see cref="Log"/>: allow, deny and require-human decisions for two control owners; approvals fast
/// enough to be rubber stamps (under <see cref="MinSeconds"/>) and slow ones; rejections, modifications, reversals;
/// refusals by rule (self-approval by the agent and by its principal, not in the group, after expiry, a second
/// approval by the same reviewer); expiries (1 s review windows); four-eyes decisions completed and not. Phase 1
/// ends at <see cref="Cut"/>; phase 2 (the slow approvals, the second owner's work) follows it.
/// </summary>
public class EvidenceScenario : IAsyncLifetime
{
    /// <summary>The rubber-stamp floor, Pdp:Review:MinSeconds: an approval sooner than this after the decision is one.</summary>
    public const int MinSeconds = 6;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly List<Happened> _log = [];
    private readonly Dictionary<string, (Stopwatch Since, EvidenceDomain Domain, string ActionType, DateTimeOffset DecidedAt)> _decisions = [];
    private PdpProcess? _server;
    private int _phase = 1;

    public string PolicyDir { get; } = EvidencePolicies.CreateDirectory();

    public string TrailPath { get; } = Path.Combine(Directory.CreateTempSubdirectory("pdp-evidence-trail-").FullName, "audit.jsonl");

    internal IReadOnlyList<Happened> Log => _log;

    /// <summary>Before the first decision.</summary>
    public DateTimeOffset Start { get; private set; }

    /// <summary>Between phase 1 and phase 2: nothing happened at this instant.</summary>
    public DateTimeOffset Cut { get; private set; }

    /// <summary>After the last record.</summary>
    public DateTimeOffset End { get; private set; }

    private DecisionService.DecisionServiceClient Client => _server!.Client;

    public async ValueTask InitializeAsync()
    {
        _server = await PdpProcess.StartAsync(PolicyDir, TrailPath, [$"--Pdp:Review:MinSeconds={MinSeconds}", "--Pdp:Review:ExpirySweepMilliseconds=100", .. await ServerSettingsAsync()]);
        Start = DateTimeOffset.UtcNow;
        await Task.Delay(20);
        var (access, pay) = (EvidencePolicies.Access, EvidencePolicies.Payments);

        // Phase 1. Decided now, approved in phase 2 once the floor has passed: not rubber stamps.
        var slow = await DecideAsync(access, "human");
        var slowAfterRefusal = await DecideAsync(access, "human");
        await RefuseAsync(slowAfterRefusal, EvidencePolicies.Agent, Outcome.Approved, "self_approval");

        var allowed = await DecideAsync(access, "allow");
        await DecideAsync(access, "allow");
        await DecideAsync(access, "allow");
        await DisposeAsync(allowed, "rita", Outcome.Reversed);
        await DecideAsync(access, "deny");
        await DecideAsync(access, "deny");
        await DisposeAsync(await DecideAsync(access, "human"), "rita", Outcome.Approved);
        await DisposeAsync(await DecideAsync(access, "human"), "tess", Outcome.Rejected);
        await DisposeAsync(await DecideAsync(access, "human"), "rita", Outcome.Modified);
        var outsider = await DecideAsync(access, "human");
        await RefuseAsync(outsider, "oscar", Outcome.Approved, "not_in_group");
        await DisposeAsync(outsider, "rita", Outcome.Rejected);
        var fourEyes = await DecideAsync(access, "human", approvals: 2);
        await DisposeAsync(fourEyes, "rita", Outcome.Approved, settles: false);
        await RefuseAsync(fourEyes, "rita", Outcome.Approved, "duplicate_approval");
        await DisposeAsync(fourEyes, "sam", Outcome.Approved);
        await DisposeAsync(await DecideAsync(access, "human", approvals: 2), "tess", Outcome.Approved, settles: false);
        var expiring = await DecideAsync(access, "human", ttl: "1s");
        await ExpiredAsync(expiring);
        await RefuseAsync(expiring, "rita", Outcome.Approved, "after_expiry");

        Cut = DateTimeOffset.UtcNow;
        await Task.Delay(20);
        _phase = 2;

        var allowedPay = await DecideAsync(pay, "allow");
        await DecideAsync(pay, "allow");
        await DisposeAsync(allowedPay, "sam", Outcome.Reversed);
        await DecideAsync(pay, "deny");
        await DisposeAsync(await DecideAsync(pay, "human"), "tess", Outcome.Approved);
        await DisposeAsync(await DecideAsync(pay, "human"), "sam", Outcome.Rejected);
        var principal = await DecideAsync(pay, "human");
        await RefuseAsync(principal, EvidencePolicies.Principal, Outcome.Approved, "self_approval");
        await DisposeAsync(principal, "rita", Outcome.Modified);
        await ExpiredAsync(await DecideAsync(pay, "human", ttl: "1s"));

        foreach (var id in new[] { slow, slowAfterRefusal })
        {
            var wait = TimeSpan.FromSeconds(MinSeconds + 0.5) - _decisions[id].Since.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
        }

        await DisposeAsync(slow, "sam", Outcome.Approved);
        await DisposeAsync(slowAfterRefusal, "tess", Outcome.Approved);
        await BeforeStopAsync();
        await _server.StopAsync();
        End = DateTimeOffset.UtcNow.AddSeconds(1);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        Directory.Delete(PolicyDir, recursive: true);
        Directory.Delete(Path.GetDirectoryName(TrailPath)!, recursive: true);
        await DisposeStoreAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>More server settings (a review store); none by default (the local store).</summary>
    protected virtual Task<string[]> ServerSettingsAsync() => Task.FromResult<string[]>([]);

    /// <summary>Runs before the server stops (e.g. until the shipper caught up).</summary>
    protected virtual Task BeforeStopAsync() => Task.CompletedTask;

    protected virtual Task DisposeStoreAsync() => Task.CompletedTask;

    private async Task<string> DecideAsync(EvidenceDomain domain, string verdict, string? ttl = null, int? approvals = null)
    {
        var type = $"{domain.Prefix}.{verdict}";
        var request = new DecideRequest
        {
            Agent = new Agent { Id = EvidencePolicies.Agent, OnBehalfOf = EvidencePolicies.Principal },
            Action = new Pdp.Contracts.V1.Action { Type = type, Target = new Target { Kind = "account", Id = "target-1" }, Parameters = new Struct() },
        };
        if (ttl is not null)
        {
            request.Action.Parameters.Fields["ttl"] = Value.ForString(ttl);
        }

        if (approvals is not null)
        {
            request.Action.Parameters.Fields["approvals"] = Value.ForNumber(approvals.Value);
        }

        var since = Stopwatch.StartNew();
        var response = await Client.DecideAsync(request).ResponseAsync.WaitAsync(Timeout);
        var kind = verdict == "human" ? "require_human" : verdict;
        var stored = await Client.GetDecisionAsync(new GetDecisionRequest { DecisionId = response.DecisionId }).ResponseAsync.WaitAsync(Timeout);
        Assert.Equal(domain.Owner, stored.ControlOwner);
        _decisions[response.DecisionId] = (since, domain, type, stored.DecidedAt.ToDateTimeOffset());
        _log.Add(new Happened(kind, response.DecisionId, domain, _phase, type, MinApprovals: approvals ?? 1));
        return response.DecisionId;
    }

    private async Task DisposeAsync(string decisionId, string reviewer, Outcome outcome, bool settles = true)
    {
        var (since, domain, type, decidedAt) = _decisions[decisionId];
        var request = new RecordDispositionRequest { DecisionId = decisionId, Reviewer = reviewer, Outcome = outcome };
        if (outcome != Outcome.Approved)
        {
            request.Justification = "not as proposed";
        }

        if (outcome == Outcome.Modified)
        {
            request.Parameters = new Struct { Fields = { ["duration"] = Value.ForString("1h") } };
        }

        var answer = await Client.RecordDispositionAsync(request).ResponseAsync.WaitAsync(Timeout);
        var elapsed = since.Elapsed;

        // What the scenario meant: approved at once is a rubber stamp, approved after the floor is not.
        var stamp = outcome == Outcome.Approved && elapsed < TimeSpan.FromSeconds(MinSeconds - 1);
        Assert.True(outcome != Outcome.Approved || stamp || elapsed > TimeSpan.FromSeconds(MinSeconds), $"an approval {elapsed} after its decision is too close to the floor to say whether it is a rubber stamp");
        var seconds = settles && type.EndsWith(".human", StringComparison.Ordinal) ? (answer.Disposition.RecordedAt.ToDateTimeOffset() - decidedAt).TotalSeconds : (double?)null;
        _log.Add(new Happened(outcome.ToString().ToLowerInvariant(), decisionId, domain, _phase, type, reviewer, stamp, Settles: settles, Seconds: seconds));
    }

    private async Task RefuseAsync(string decisionId, string reviewer, Outcome outcome, string rule)
    {
        var (_, domain, type, _) = _decisions[decisionId];
        await Assert.ThrowsAsync<RpcException>(() => Client.RecordDispositionAsync(new RecordDispositionRequest { DecisionId = decisionId, Reviewer = reviewer, Outcome = outcome }).ResponseAsync.WaitAsync(Timeout));
        _log.Add(new Happened("refused", decisionId, domain, _phase, type, reviewer, Rule: rule));
    }

    /// <summary>Waits until the expiry sweep has recorded the review's expiry.</summary>
    private async Task ExpiredAsync(string decisionId)
    {
        var (_, domain, type, _) = _decisions[decisionId];
        var deadline = Stopwatch.StartNew();
        while ((await Client.GetDecisionAsync(new GetDecisionRequest { DecisionId = decisionId }).ResponseAsync.WaitAsync(Timeout)).ReviewStatus != ReviewStatus.Expired)
        {
            Assert.True(deadline.Elapsed < Timeout, "the review did not expire");
            await Task.Delay(50);
        }

        _log.Add(new Happened("expired", decisionId, domain, _phase, type));
    }
}
