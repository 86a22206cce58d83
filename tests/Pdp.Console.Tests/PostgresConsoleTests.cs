using Pdp.TestSupport;
using static Microsoft.Playwright.Assertions;

namespace Pdp.Console.Tests;

/// <summary>
/// The console on the shared PostgreSQL store (a database of its own per test): every case of <see cref="ConsoleTests"/>,
/// and a queue on one instance that follows a review settled on another (NOTIFY reaches every instance's feed).
/// </summary>
public sealed class PostgresConsoleTests(Chromium chromium) : ConsoleTests(chromium)
{
    private string? _database;

    [Fact]
    public async Task Queue_ReviewSettledOnAnotherInstance_LeavesThisInstancesQueueWithoutReload()
    {
        await using var other = await ConsoleServer.StartAsync(Policies, Keys, new Dictionary<string, string?>
        {
            ["Pdp:Review:Store"] = "postgres",
            ["Pdp:Review:Postgres:ConnectionString"] = _database,
            ["Pdp:InstanceId"] = "console-b",
        });
        var id = await Server.RequireHumanAsync();
        var sam = await PageAsync("sam", server: other);
        await sam.GotoAsync("/");
        await Expect(sam.Locator("#live")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^Live"));
        await Expect(sam.Locator($"tr[data-decision-id='{id}']")).ToHaveCountAsync(1);

        var rita = await PageAsync("rita");
        await rita.GotoAsync($"/decisions/{id}");
        await rita.Locator("#approve").ClickAsync();
        await Expect(rita.Locator("#state")).ToHaveTextAsync("Settled: approved");

        await Expect(sam.Locator($"tr[data-decision-id='{id}']")).ToHaveCountAsync(0);
        var next = await Server.RequireHumanAsync(target: "acct-next");
        await Expect(sam.Locator($"tr[data-decision-id='{next}']")).ToHaveCountAsync(1);
    }

    protected override async Task<IReadOnlyDictionary<string, string?>> StoreSettingsAsync()
    {
        _database = await TestPostgres.CreateDatabaseAsync("console", CancellationToken.None).WaitAsync(ConsoleServer.Timeout);
        return new Dictionary<string, string?>
        {
            ["Pdp:Review:Store"] = "postgres",
            ["Pdp:Review:Postgres:ConnectionString"] = _database,
            ["Pdp:Review:Postgres:ShipIntervalMilliseconds"] = "20",
            ["Pdp:InstanceId"] = "console-a",
        };
    }

    protected override async Task DisposeStoreAsync()
    {
        if (_database is not null)
        {
            await TestPostgres.DropDatabaseAsync(_database, CancellationToken.None).WaitAsync(ConsoleServer.Timeout);
        }
    }
}
