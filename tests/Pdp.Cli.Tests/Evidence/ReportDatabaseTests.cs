using System.Text.Json.Nodes;
using Npgsql;
using Pdp.TestSupport;
using Xunit;

namespace Pdp.Cli.Tests.Evidence;

/// <summary>The scenario with the review state in a real PostgreSQL and the trail shipped to its fleet decision log.</summary>
public sealed class PostgresEvidenceScenario : EvidenceScenario
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public string ConnectionString { get; private set; } = string.Empty;

    protected override async Task<string[]> ServerSettingsAsync()
    {
        ConnectionString = await TestPostgres.CreateDatabaseAsync("cli_report", CancellationToken.None).WaitAsync(Timeout);
        return ["--Pdp:Review:Store=postgres", $"--Pdp:Review:Postgres:ConnectionString={ConnectionString}", "--Pdp:Review:Postgres:ShipIntervalMilliseconds=20"];
    }

    /// <summary>Until every decision the scenario made is in the fleet log.</summary>
    protected override async Task BeforeStopAsync()
    {
        await using var db = NpgsqlDataSource.Create(ConnectionString);
        var deadline = DateTime.UtcNow + Timeout;
        while ((long)(await db.CreateCommand("SELECT count(*) FROM fleet_decisions").ExecuteScalarAsync().WaitAsync(Timeout))! < Log.Count(h => h.IsDecision))
        {
            Assert.True(DateTime.UtcNow < deadline, "the shipper did not ship every decision");
            await Task.Delay(50);
        }
    }

    protected override async Task DisposeStoreAsync()
    {
        if (ConnectionString.Length > 0)
        {
            using var timeout = new CancellationTokenSource(Timeout);
            await TestPostgres.DropDatabaseAsync(ConnectionString, timeout.Token).WaitAsync(Timeout);
        }
    }
}

/// <summary>
/// <c>pdp report --database</c> over the fleet log the scenario's server wrote to a real PostgreSQL: decisions and
/// review figures equal the scenario's; refusals and framework references, which only the instance's trail holds, are
/// absent; a rewritten review event gives an unverified report and exit 1.
/// </summary>
public sealed class ReportDatabaseTests(PostgresEvidenceScenario scenario) : IClassFixture<PostgresEvidenceScenario>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Report_FleetLog_FiguresEqualTheScenarioAndChainIsVerified()
    {
        var (result, report) = Report();
        await using var db = NpgsqlDataSource.Create(scenario.ConnectionString);
        var head = (string)(await db.CreateCommand("SELECT hash FROM review_chain_head").ExecuteScalarAsync().WaitAsync(Timeout))!;

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        Assert.True(report["verified"]!.GetValue<bool>());
        Assert.Equal("review_events", report["verification"]!["source"]!.GetValue<string>());
        Assert.Equal(head, report["chain_head"]!.GetValue<string>());
        ExpectedFigures.AssertEqual(FleetExpected(_ => true), report["totals"]!, "totals");
        var owners = report["owners"]!.AsArray();
        Assert.Equal(scenario.Log.Select(h => h.Domain.Owner).Distinct().Order(StringComparer.Ordinal), owners.Select(o => o!["owner"]!.GetValue<string>()));
        foreach (var owner in owners)
        {
            ExpectedFigures.AssertEqual(FleetExpected(d => d.Owner == owner!["owner"]!.GetValue<string>()), owner!, owner!["owner"]!.GetValue<string>());
        }

        Assert.Empty(report["frameworks"]!.AsArray());
    }

    [Fact]
    public async Task Report_FleetLogEventRewritten_UnverifiedAndExitsOne()
    {
        await using var db = NpgsqlDataSource.Create(scenario.ConnectionString);
        await using var select = db.CreateCommand("SELECT seq, line FROM review_events WHERE type = 'disposition' AND reviewer = 'tess' ORDER BY seq LIMIT 1");
        await using var reader = await select.ExecuteReaderAsync().WaitAsync(Timeout);
        Assert.True(await reader.ReadAsync().WaitAsync(Timeout));
        var (seq, line) = (reader.GetInt64(0), reader.GetString(1));
        await reader.DisposeAsync();
        await Rewrite(db, seq, line.Replace("\"reviewer\":\"tess\"", "\"reviewer\":\"tesS\"", StringComparison.Ordinal));
        try
        {
            var (result, report) = Report();

            Assert.Equal(ExitCodes.Failed, result.ExitCode);
            Assert.False(report["verified"]!.GetValue<bool>());
            Assert.StartsWith("review_events:", report["verification"]!["problem"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(seq - 1, report["verification"]!["records"]!.GetValue<long>());
        }
        finally
        {
            await Rewrite(db, seq, line);
        }
    }

    private static async Task Rewrite(NpgsqlDataSource db, long seq, string line)
    {
        await using var update = db.CreateCommand("UPDATE review_events SET line = $1 WHERE seq = $2");
        update.Parameters.Add(new NpgsqlParameter { Value = line });
        update.Parameters.Add(new NpgsqlParameter { Value = seq });
        Assert.Equal(1, await update.ExecuteNonQueryAsync().WaitAsync(Timeout));
    }

    private (CliResult Result, JsonObject Report) Report()
    {
        var output = Path.Combine(Path.GetTempPath(), $"pdp-report-db-{Guid.NewGuid():N}.json");
        try
        {
            var period = new[] { "--from", scenario.Start.ToString("O"), "--to", scenario.End.ToString("O") };
            var result = Cli.Run(["report", "--database", scenario.ConnectionString, .. period, "--format", "json", "--output", output]);
            Assert.True(File.Exists(output), result.ToString());
            Assert.DoesNotContain(scenario.ConnectionString, File.ReadAllText(output), StringComparison.Ordinal);
            return (result, JsonNode.Parse(File.ReadAllText(output))!.AsObject());
        }
        finally
        {
            File.Delete(output);
        }
    }

    /// <summary>The scenario's figures as the fleet log can show them: refusals stay in each instance's trail.</summary>
    private JsonObject FleetExpected(Func<EvidenceDomain, bool> matches)
    {
        var expected = ExpectedFigures.Of(scenario.Log, matches, [1, 2]);
        expected["refused"] = new JsonObject();
        return expected;
    }
}
