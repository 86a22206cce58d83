using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Pdp.Audit;
using Pdp.Audit.Chain;
using Pdp.Review.Postgres.Migrations;
using Pdp.Review.Postgres.Shipping;
using Pdp.TestSupport;
using Xunit;

namespace Pdp.Cli.Tests;

/// <summary>
/// <c>pdp audit verify --database</c> against a real PostgreSQL (a database of each test's own, migrated): a trail
/// recorded with <see cref="RecordedTrail"/> and shipped by the real <see cref="DecisionLogShipper"/>, and a review
/// chain written with <see cref="ChainLine.Encode"/>; then the trail, the fleet rows or the chain are tampered with.
/// </summary>
public sealed class AuditVerifyDatabaseTests : IAsyncLifetime
{
    private const int ChainRecords = 5;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly TempPolicyDir _policies = new TempPolicyDir().Write(ReplayScenario.PolicySetA());
    private readonly TempPolicyDir _trails = new();
    private string _connectionString = string.Empty;
    private NpgsqlDataSource? _dataSource;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Trail => Path.Combine(_trails.Path, "audit.jsonl");

    private NpgsqlDataSource Db => _dataSource ?? throw new InvalidOperationException("not initialised");

    public async ValueTask InitializeAsync()
    {
        _connectionString = await TestPostgres.CreateDatabaseAsync("cli_audit_verify", Ct).WaitAsync(Timeout, Ct);
        _dataSource = NpgsqlDataSource.Create(_connectionString);
        await new SchemaMigrator().MigrateAsync(_dataSource, Ct).WaitAsync(Timeout, Ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
            using var timeout = new CancellationTokenSource(Timeout);
            await TestPostgres.DropDatabaseAsync(_connectionString, timeout.Token).WaitAsync(Timeout);
        }

        _policies.Dispose();
        _trails.Dispose();
    }

    [Fact]
    public async Task Verify_ShippedTrailAndIntactChain_ExitsZeroNamingShippedPositionAndChainCount()
    {
        var (last, decisions) = await RecordAndShipAsync();
        var chain = await WriteChainAsync(ChainRecords);
        Assert.Equal(ReplayScenario.Cases().Count, decisions);

        var result = await VerifyAsync();

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(
            [
                $"ok: {last.Seq} records in 1 files, last hash {last.Hash}",
                $"ok: shipped to the fleet log up to seq {last.Seq}, hash {last.Hash}; {decisions} shipped decisions match the local trail (trail {Short(TrailIdentity.Of(Trail)!)})",
                $"ok: review chain: {ChainRecords} records in review_events, head seq {ChainRecords}, last hash {chain[^1]}",
            ],
            result.OutLines);
        Assert.Empty(result.Error);
    }

    [Fact]
    public async Task Verify_UnshippedTrailAndEmptyChain_ExitsZeroSayingNotShipped()
    {
        var last = await RecordAsync();

        var result = await VerifyAsync();

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(
            [
                $"ok: {last.Seq} records in 1 files, last hash {last.Hash}",
                $"not shipped: the fleet log has no trail {Short(TrailIdentity.Of(Trail)!)} (the hash of this trail's first record)",
                $"ok: review chain: 0 records in review_events, head seq 0, last hash none",
            ],
            result.OutLines);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task Verify_TrailCutBelowShippedPosition_ExitsOneNamingTheCut(int cut)
    {
        var (last, _) = await RecordAndShipAsync();
        await WriteChainAsync(ChainRecords);
        var lines = await File.ReadAllLinesAsync(Trail, Ct).WaitAsync(Timeout, Ct);
        await File.WriteAllTextAsync(Trail, string.Join("\n", lines[..^cut]) + "\n", Ct).WaitAsync(Timeout, Ct);

        var result = await VerifyAsync();

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(
            [
                $"ok: {last.Seq - cut} records in 1 files, last hash {Hash(lines[^(cut + 1)])}",
                $"{Trail}: the local trail ends at seq {last.Seq - cut} but seq {last.Seq} (hash {Short(last.Hash)}) was shipped to the fleet log: records were cut",
                $"ok: review chain: {ChainRecords} records in review_events, head seq {ChainRecords}, last hash {(await ChainHeadAsync()).Hash}",
            ],
            result.OutLines);
        Assert.Contains("does not match the fleet log", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("trail-rewritten")]
    [InlineData("fleet-last-hash")]
    [InlineData("fleet-decision-hash")]
    public async Task Verify_ShippedRecordRewritten_ExitsOneNamingTheRecord(string tampering)
    {
        var (last, _) = await RecordAndShipAsync();
        var records = AuditTrailReader.Read(Trail).ToList();
        var firstDecision = records.First(r => r.Type == "decision");
        long seq;
        switch (tampering)
        {
            case "trail-rewritten":
                // A rewrite that keeps a valid chain (and the first record, so the trail id): only the fleet log shows it.
                seq = firstDecision.Seq;
                RewriteTrail(records, seq, payload => payload["response"]!["verdict"] = "VERDICT_DENY");
                Assert.True(Cli.Run("audit", "verify", Trail).ExitCode == 0, "the rewritten trail should verify on its own");
                break;
            case "fleet-last-hash":
                seq = last.Seq;
                await ExecuteAsync("UPDATE fleet_trails SET last_hash = repeat('a', 64)");
                break;
            default:
                seq = records.Last(r => r.Type == "decision").Seq;
                await ExecuteAsync($"UPDATE fleet_decisions SET record_hash = repeat('b', 64) WHERE trail_seq = {seq}");
                break;
        }

        var result = await VerifyAsync();

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(2, result.OutLines.Length);
        Assert.StartsWith($"{Trail}:{seq}: seq {seq}: record {seq} differs from the one shipped to the fleet log (hash ", result.OutLines[0], StringComparison.Ordinal);
        Assert.EndsWith("): the trail was rewritten", result.OutLines[0], StringComparison.Ordinal);
        Assert.Contains("does not match the fleet log", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("edit-line", "review_events:3: seq 3: hash mismatch: record was edited")]
    [InlineData("reformat-line", "review_events:2: seq 2: line is not byte-identical to the written form (whitespace, member order or escaping was changed)")]
    [InlineData("delete-middle", "review_events:3: seq 4: seq 4 follows seq 2: a record is missing")]
    [InlineData("hash-column", "review_events:4: seq 4: the row's hash column cccccccccccc… is not its line's hash ")]
    [InlineData("delete-last", "review_chain_head: seq 5: the head is at seq 5 (")]
    [InlineData("head-behind", "review_chain_head: seq 4: the head is at seq 4 but review events go on to seq 5: the head was moved back")]
    [InlineData("head-hash", "review_chain_head: seq 5: the head's hash dddddddddddd… is not seq 5's (")]
    public async Task Verify_ReviewChainTampered_ExitsOneNamingTheSeq(string tampering, string expected)
    {
        var last = await RecordAsync();
        await WriteChainAsync(ChainRecords);
        await ExecuteAsync(tampering switch
        {
            "edit-line" => "UPDATE review_events SET line = replace(line, 'reviewer-3@', 'reviewer-8@') WHERE seq = 3",
            "reformat-line" => "UPDATE review_events SET line = replace(line, '\"seq\":2,', '\"seq\": 2,') WHERE seq = 2",
            "delete-middle" => "DELETE FROM review_events WHERE seq = 3",
            "hash-column" => "UPDATE review_events SET hash = repeat('c', 64) WHERE seq = 4",
            "delete-last" => "DELETE FROM review_events WHERE seq = 5",
            "head-behind" => "UPDATE review_chain_head SET seq = 4",
            _ => "UPDATE review_chain_head SET hash = repeat('d', 64)",
        });

        var result = await VerifyAsync();

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(3, result.OutLines.Length);
        Assert.Equal($"ok: {last.Seq} records in 1 files, last hash {last.Hash}", result.OutLines[0]);
        Assert.StartsWith(expected, result.OutLines[2], StringComparison.Ordinal);
        Assert.Contains("review chain does not verify", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_DatabaseUnreachable_ExitsTwoWithoutThePassword()
    {
        await RecordAsync();
        const string password = "s3cret-Pa55word";
        var port = FreePort();

        var result = await RunAsync("audit", "verify", Trail, "--database", $"Host=127.0.0.1;Port={port};Username=auditor;Password={password};Database=pdp_audit;Timeout=5");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Empty(result.Out);
        Assert.Contains($"cannot read the review database at 127.0.0.1:{port}/pdp_audit", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(password, result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_DatabaseNotMigrated_ExitsTwo()
    {
        await RecordAsync();
        var bare = await TestPostgres.CreateDatabaseAsync("cli_audit_verify_bare", Ct).WaitAsync(Timeout, Ct);
        try
        {
            var result = await RunAsync("audit", "verify", Trail, "--database", bare);

            Assert.True(result.ExitCode == 2, result.ToString());
            Assert.Contains("42P01", result.Error, StringComparison.Ordinal);
        }
        finally
        {
            using var timeout = new CancellationTokenSource(Timeout);
            await TestPostgres.DropDatabaseAsync(bare, timeout.Token).WaitAsync(Timeout);
        }
    }

    [Fact]
    public async Task Verify_InvalidConnectionString_ExitsTwoWithoutEchoingIt()
    {
        await RecordAsync();

        var result = await RunAsync("audit", "verify", Trail, "--database", "Host=127.0.0.1;Passwrd=s3cret-typo");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("connection string (--database or PDP_AUDIT_DATABASE) is not valid", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-typo", result.ToString(), StringComparison.Ordinal);
    }

    internal static int FreePort() => Pdp.TestSupport.FreePorts.Next();

    internal static async Task<CliResult> RunAsync(params string[] args) =>
        await Task.Run(() => Cli.Run(args), Ct).WaitAsync(Timeout, Ct);

    private Task<CliResult> VerifyAsync() => RunAsync("audit", "verify", Trail, "--database", _connectionString);

    private async Task<AuditRecord> RecordAsync()
    {
        await ReplayScenario.RecordAsync(Trail, _policies.Path, ReplayScenario.Cases()).WaitAsync(Timeout, Ct);
        return AuditTrailReader.Read(Trail).Last();
    }

    /// <summary>Records the trail, then ships it with the real shipper until its last record is in the fleet log.</summary>
    private async Task<(AuditRecord Last, long Decisions)> RecordAndShipAsync()
    {
        var last = await RecordAsync();
        var shipper = new DecisionLogShipper(Db, Trail, "pdp-test", batchSize: 8, TimeSpan.FromMilliseconds(20), NullLogger<DecisionLogShipper>.Instance);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var running = shipper.RunAsync(TimeProvider.System, stop.Token);
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            deadline.CancelAfter(Timeout);
            while (shipper.ShippedSeq < last.Seq)
            {
                Assert.Null(shipper.Broken);
                Assert.False(running.IsCompleted, "the shipper stopped before shipping the trail");
                await Task.Delay(20, deadline.Token);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await running.WaitAsync(Timeout, Ct);
        }

        Assert.Equal(last.Seq, shipper.ShippedSeq);
        return (last, await ScalarAsync<long>("SELECT count(*) FROM fleet_decisions"));
    }

    /// <summary>Writes a review chain of <paramref name="count"/> events, as the store does; returns their hashes.</summary>
    private async Task<IReadOnlyList<string>> WriteChainAsync(int count)
    {
        var decision = Guid.NewGuid();
        await ExecuteAsync($$"""
            INSERT INTO review_decisions (decision_id, decided_at, policy_id, approver_group, verdict, state, decision, instance)
            VALUES ('{{decision}}', now(), 'iam-accounts', 'iam-approvers', 'require_human', 'pending', '{}', 'pdp-a')
            """);
        var start = new DateTimeOffset(2026, 3, 2, 10, 0, 0, 250, TimeSpan.Zero);
        var prev = ChainLine.GenesisHash;
        var hashes = new List<string>();
        for (var seq = 1L; seq <= count; seq++)
        {
            var type = seq == 1 ? "review_opened" : "disposition";
            var payload = new JsonObject { ["decision_id"] = decision.ToString(), ["reviewer"] = $"reviewer-{seq}@example.com", ["outcome"] = "approved" };
            var (line, hash, _) = ChainLine.Encode(seq, start.AddSeconds(seq), type, payload, prev);
            await using var insert = Db.CreateCommand("INSERT INTO review_events (seq, decision_id, type, reviewer, instance, line, hash) VALUES ($1, $2, $3, $4, 'pdp-a', $5, $6)");
            insert.Parameters.Add(new() { Value = seq });
            insert.Parameters.Add(new() { Value = decision });
            insert.Parameters.Add(new() { Value = type });
            insert.Parameters.Add(new() { Value = $"reviewer-{seq}@example.com" });
            insert.Parameters.Add(new() { Value = line });
            insert.Parameters.Add(new() { Value = hash });
            await insert.ExecuteNonQueryAsync(Ct).WaitAsync(Timeout, Ct);
            hashes.Add(hash);
            prev = hash;
        }

        await ExecuteAsync($"UPDATE review_chain_head SET seq = {count}, hash = '{prev}' WHERE id = 1");
        return hashes;
    }

    private async Task<(long Seq, string Hash)> ChainHeadAsync() =>
        (await ScalarAsync<long>("SELECT seq FROM review_chain_head"), await ScalarAsync<string>("SELECT hash FROM review_chain_head"));

    /// <summary>Re-chains the trail from <paramref name="fromSeq"/> with that record's payload changed: a valid trail, not the one shipped.</summary>
    private void RewriteTrail(List<AuditRecord> records, long fromSeq, Action<JsonObject> change)
    {
        var prev = ChainLine.GenesisHash;
        var lines = new List<string>();
        foreach (var record in records)
        {
            var payload = (JsonObject)record.Payload.DeepClone();
            if (record.Seq == fromSeq)
            {
                change(payload);
            }

            var (line, hash, _) = ChainLine.Encode(record.Seq, record.Time, record.Type, payload, prev);
            if (record.Seq < fromSeq)
            {
                Assert.Equal(record.Hash, hash);
            }

            lines.Add(line);
            prev = hash;
        }

        File.WriteAllText(Trail, string.Join("\n", lines) + "\n");
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = Db.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(Ct).WaitAsync(Timeout, Ct);
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = Db.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(Ct).WaitAsync(Timeout, Ct))!;
    }

    private static string Hash(string line) => JsonNode.Parse(line)!["hash"]!.GetValue<string>();

    private static string Short(string hash) => hash[..12] + "…";
}

/// <summary>
/// <c>PDP_AUDIT_DATABASE</c> instead of <c>--database</c>. Changes the process environment, so it runs alone: any
/// other <c>audit verify</c> running meanwhile would see the variable.
/// </summary>
[Collection(nameof(ProcessEnvironment))]
public sealed class AuditVerifyDatabaseEnvironmentTests
{
    [Fact]
    public async Task Verify_DatabaseFromEnvironmentUnreachable_ExitsTwoWithoutThePassword()
    {
        using var dir = new TempPolicyDir();
        var trail = Path.Combine(dir.Path, "audit.jsonl");
        await ReplayScenario.RecordAsync(trail, WritePolicies(dir), ReplayScenario.Cases().Take(2).ToList()).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        const string password = "env-s3cret-Pa55";
        var port = AuditVerifyDatabaseTests.FreePort();
        Environment.SetEnvironmentVariable("PDP_AUDIT_DATABASE", $"Host=127.0.0.1;Port={port};Username=auditor;Password={password};Database=pdp_audit;Timeout=5");
        CliResult result;
        try
        {
            result = await AuditVerifyDatabaseTests.RunAsync("audit", "verify", trail);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PDP_AUDIT_DATABASE", null);
        }

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"cannot read the review database at 127.0.0.1:{port}/pdp_audit", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(password, result.ToString(), StringComparison.Ordinal);
    }

    private static string WritePolicies(TempPolicyDir dir)
    {
        var path = Path.Combine(dir.Path, "policies-a");
        foreach (var (file, content) in ReplayScenario.PolicySetA())
        {
            dir.Write(Path.Combine("policies-a", file), content);
        }

        return path;
    }
}

[CollectionDefinition(nameof(ProcessEnvironment), DisableParallelization = true)]
public sealed class ProcessEnvironment;
