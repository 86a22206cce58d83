using Pdp.TestSupport;

namespace Pdp.Server.Tests;

/// <summary>The review rules with the shared store on a real PostgreSQL (a database of its own per test).</summary>
public sealed class PostgresReviewTests : ReviewRulesTests
{
    private string? _database;

    protected override async Task<IReadOnlyDictionary<string, string?>> StoreSettingsAsync()
    {
        _database = await TestPostgres.CreateDatabaseAsync("rules", CancellationToken.None).WaitAsync(PdpTestServer.Timeout);
        return new Dictionary<string, string?>
        {
            ["Pdp:Review:Store"] = "postgres",
            ["Pdp:Review:Postgres:ConnectionString"] = _database,
            ["Pdp:Review:Postgres:ShipIntervalMilliseconds"] = "20",
        };
    }

    protected override async Task DisposeStoreAsync()
    {
        if (_database is not null)
        {
            await TestPostgres.DropDatabaseAsync(_database, CancellationToken.None).WaitAsync(PdpTestServer.Timeout);
        }
    }
}
