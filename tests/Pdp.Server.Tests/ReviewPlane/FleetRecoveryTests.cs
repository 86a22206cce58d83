using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using Pdp.Audit;
using Pdp.Contracts.V1;
using Pdp.TestSupport;
using Xunit;

namespace Pdp.Server.Tests.ReviewPlane;

/// <summary>
/// What the review plane does when things break: an instance killed with its shipping behind, the database stopped
/// mid-run and started again, a database whose schema is newer than the binary.
/// </summary>
public sealed class FleetRecoveryTests
{
    [Fact]
    public async Task KillNine_WhileShippingIsBehindAndBRecords_EveryAcknowledgedDecisionShippedOnceInTrailOrder()
    {
        await using var fleet = await Fleet.CreateAsync("kill");
        // One record per transaction: A's shipping falls behind a burst of decisions.
        var a = await fleet.StartAsync("a", "--Pdp:Review:Postgres:ShipBatchSize=1", "--Pdp:Review:Postgres:ShipIntervalMilliseconds=200");
        var b = await fleet.StartAsync("b");
        var acknowledged = new ConcurrentQueue<string>();
        var pending = new ConcurrentQueue<string>();
        var disposed = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));

        async Task DecideLoop(int worker)
        {
            string[] kinds = ["review.allow", "review.deny", "review.human"];
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var decision = await Fleet.DecideAsync(a, kinds[(worker + i) % kinds.Length]);
                acknowledged.Enqueue(decision.DecisionId);
                if (decision.Verdict == Verdict.RequireHuman)
                {
                    pending.Enqueue(decision.DecisionId);
                }
            }
        }

        async Task ReviewLoop()
        {
            while (!stop.IsCancellationRequested || !pending.IsEmpty)
            {
                if (pending.TryDequeue(out var id))
                {
                    await Fleet.DisposeAsync(b, id, "rita", Outcome.Approved);
                    disposed.Enqueue(id);
                }
                else
                {
                    await Task.Delay(5);
                }
            }
        }

        await Task.WhenAll([.. Enumerable.Range(0, 6).Select(DecideLoop), ReviewLoop()]).WaitAsync(Fleet.Timeout);

        // Then a burst of allow decisions, faster than one record per transaction ships, and the kill right after it.
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            for (var i = 0; i < 40; i++)
            {
                acknowledged.Enqueue((await Fleet.DecideAsync(a, "review.allow")).DecisionId);
            }
        })).WaitAsync(Fleet.Timeout);
        var shippedBeforeKill = await fleet.ScalarAsync("SELECT count(*) FROM fleet_decisions");
        await a.KillAsync();
        Assert.True(shippedBeforeKill < acknowledged.Count, $"shipping was not behind: {shippedBeforeKill} of {acknowledged.Count} shipped");

        await fleet.StartAsync("a");
        var trail = AuditTrailReader.Read(fleet.AuditPath("a")).Where(r => r.Type == "decision").Select(r => (r.Seq, Id: r.Payload["decision_id"]!.GetValue<string>())).ToList();
        await Fleet.EventuallyAsync(async () => await fleet.ScalarAsync("SELECT count(*) FROM fleet_decisions") >= trail.Count, "A's trail was shipped after the restart");

        // B ships its own trail too (its copies of dispositions); A's is the one named after A's first record.
        var trailId = Pdp.Review.Postgres.Shipping.TrailIdentity.Of(fleet.AuditPath("a"))!;
        var shipped = await fleet.ListAsync("SELECT decision_id, trail_seq FROM fleet_decisions WHERE trail_id = $1 ORDER BY trail_seq", r => (Seq: r.GetInt64(1), Id: r.GetGuid(0).ToString()), trailId);
        Assert.Equal(trail, shipped);
        Assert.Empty(acknowledged.Except(shipped.Select(s => s.Id)));
        var approvals = await fleet.ScalarAsync("SELECT count(*) FROM review_events WHERE type = 'disposition' AND instance = 'b'");
        Assert.Equal(disposed.Count, approvals);
        var last = AuditTrailReader.Read(fleet.AuditPath("a")).Last();
        await Fleet.EventuallyAsync(async () => await fleet.ScalarAsync("SELECT last_seq FROM fleet_trails WHERE trail_id = $1", trailId) >= last.Seq, "the trail position reached the last record");
        Assert.Equal(last.Hash, (await fleet.ListAsync("SELECT last_hash FROM fleet_trails WHERE trail_id = $1 AND last_seq = $2", r => r.GetString(0), trailId, last.Seq)).Single());
    }

    [Fact]
    public async Task Sigterm_WithDecisionsNotYetShipped_ShipsThemBeforeExiting()
    {
        await using var fleet = await Fleet.CreateAsync("drain");
        // After its first batch the shipper sleeps a minute: only the drain at stop can ship what follows.
        var a = await fleet.StartAsync("a", "--Pdp:Review:Postgres:ShipIntervalMilliseconds=60000");
        await Fleet.EventuallyAsync(async () => await fleet.ScalarAsync("SELECT count(*) FROM fleet_trails") == 1, "the first batch shipped");
        var decided = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            decided.Add((await Fleet.DecideAsync(a, i % 2 == 0 ? "review.allow" : "review.deny")).DecisionId);
        }

        Assert.Equal(0, await fleet.ScalarAsync("SELECT count(*) FROM fleet_decisions"));
        using (Process.Start("kill", ["-TERM", a.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
        }

        Assert.Equal(0, await a.WaitForExitAsync().WaitAsync(Fleet.Timeout));
        var shipped = await fleet.ListAsync("SELECT decision_id FROM fleet_decisions", r => r.GetGuid(0).ToString());
        Assert.Equal(decided.Order(), shipped.Order());
    }

    [Fact]
    public async Task Start_TrailCutBelowTheFleetLogHeadWithItsCheckpointsRemoved_RefusesToStartNamingTheCut()
    {
        await using var fleet = await Fleet.CreateAsync("anchor");
        var a = await fleet.StartAsync("a");
        for (var i = 0; i < 20; i++)
        {
            await Fleet.DecideAsync(a, i % 2 == 0 ? "review.allow" : "review.deny");
        }

        using (Process.Start("kill", ["-TERM", a.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
        }

        Assert.Equal(0, await a.WaitForExitAsync().WaitAsync(Fleet.Timeout));
        var head = (await fleet.ListAsync("SELECT last_seq FROM fleet_trails", r => r.GetInt64(0))).Single();
        Assert.True(head > 10, $"the fleet log recorded seq {head}");

        // A cut the local trail alone cannot see: the newest records and every checkpoint that named them are gone,
        // and what is left is a whole, chained trail of ten records.
        var path = fleet.AuditPath("a");
        var directory = Path.GetDirectoryName(path)!;
        foreach (var file in Directory.GetFiles(directory, "audit.checkpoint.json").Concat(Directory.GetFiles(directory, "audit.state.*")))
        {
            File.Delete(file);
        }

        await File.WriteAllLinesAsync(path, (await File.ReadAllLinesAsync(path)).Take(10));

        var (exitCode, stderr) = await fleet.RunToExitAsync("a");
        Assert.Equal(1, exitCode);
        Assert.Contains("refusing to start", stderr, StringComparison.Ordinal);
        Assert.Contains($"fleet decision log recorded this trail up to seq {head}", stderr, StringComparison.Ordinal);
        Assert.Contains("the local trail ends at seq 10", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Postgres_StoppedMidRunThenStarted_FailsClosedThenRecoversWithoutRestart()
    {
        await using var cluster = await PrivatePostgres.StartAsync(CancellationToken.None).WaitAsync(Fleet.Timeout);
        await using var fleet = await Fleet.CreateAsync("outage", cluster.ConnectionString);
        var a = await fleet.StartAsync("a", "--Pdp:Review:Postgres:CommandTimeoutSeconds=2");
        var waiting = await Fleet.DecideAsync(a, "review.human");

        await cluster.Control.StopAsync().WaitAsync(Fleet.Timeout);

        var allowed = await Fleet.DecideAsync(a, "review.allow");
        Assert.Equal(Verdict.Allow, allowed.Verdict);
        Assert.Equal(Verdict.Deny, (await Fleet.DecideAsync(a, "review.deny")).Verdict);
        var human = await Assert.ThrowsAsync<RpcException>(() => Fleet.DecideAsync(a, "review.human"));
        Assert.Equal(StatusCode.Unavailable, human.StatusCode);
        Assert.Contains("review store", human.Status.Detail, StringComparison.Ordinal);
        var disposition = await Fleet.RefusedAsync(a, waiting.DecisionId, "rita", Outcome.Approved);
        Assert.Equal(StatusCode.Unavailable, disposition.StatusCode);
        await Fleet.EventuallyAsync(async () => (await MetricsScrape.TakeAsync(a.Admin)).Value("pdp_review_store_up", ("store", "postgres")) == 0, "the store gauge says unreachable");
        Assert.True((await MetricsScrape.TakeAsync(a.Admin)).Value("pdp_decision_log_backlog_records") > 0);

        await cluster.Control.StartAsync().WaitAsync(Fleet.Timeout);

        await Fleet.EventuallyAsync(async () => (await MetricsScrape.TakeAsync(a.Admin)).Value("pdp_review_store_up", ("store", "postgres")) == 1, "the store gauge says reachable again");
        var approved = await Fleet.DisposeAsync(a, waiting.DecisionId, "rita", Outcome.Approved);
        Assert.Equal(ReviewStatus.Approved, approved.Decision.ReviewStatus);
        Assert.Equal(Verdict.RequireHuman, (await Fleet.DecideAsync(a, "review.human")).Verdict);
        await Fleet.EventuallyAsync(async () => await fleet.ScalarAsync("SELECT count(*) FROM fleet_decisions WHERE decision_id = $1", Guid.Parse(allowed.DecisionId)) == 1, "the allow decided during the outage was shipped");
        await Fleet.EventuallyAsync(async () => (await MetricsScrape.TakeAsync(a.Admin)).Value("pdp_decision_log_backlog_records") == 0, "the backlog drained");
    }

    [Fact]
    public async Task Start_DatabaseSchemaNewerThanTheBinary_RefusesToStartWithOneClearMessage()
    {
        await using var fleet = await Fleet.CreateAsync("newer");
        await new Pdp.Review.Postgres.Migrations.SchemaMigrator().MigrateAsync(fleet.DataSource, CancellationToken.None).WaitAsync(Fleet.Timeout);

        await fleet.ScalarAsync("INSERT INTO pdp_schema (version, description) VALUES (99, 'from a future Pdp') RETURNING version");

        var (exitCode, message) = await fleet.RunToExitAsync("newer");

        Assert.Equal(1, exitCode);
        Assert.Contains("schema version 99", message, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", message, StringComparison.Ordinal);
        Assert.False(File.Exists(fleet.AuditPath("newer")), "nothing may be recorded by a server that refuses to start");
    }
}
