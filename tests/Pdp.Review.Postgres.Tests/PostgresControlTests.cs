using Npgsql;
using Pdp.TestSupport;
using Xunit;

namespace Pdp.Review.Postgres.Tests;

/// <summary>Stopping the cluster breaks every other test using it, so these run alone, after the parallel ones.</summary>
[CollectionDefinition(nameof(ClusterRestart), DisableParallelization = true)]
public sealed class ClusterRestart;

[Collection(nameof(ClusterRestart))]
public sealed class PostgresControlTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void ServerOptions_PostmasterOpts_KeepsEverythingButTheProgramAndDataDirectory()
    {
        const string opts = "/usr/lib/postgresql/15/bin/postgres \"-D\" \"/tmp/pg x/data\" \"-p\" \"55432\" \"-k\" \"/tmp/pg x\" \"-c\" \"listen_addresses=127.0.0.1\"\n";

        Assert.Equal("'-p' '55432' '-k' '/tmp/pg x' '-c' 'listen_addresses=127.0.0.1'", PostgresControl.ServerOptions(opts));
    }

    [Fact]
    public async Task StopThenStart_TestCluster_RefusesWhileDownAndServesAgainAfter()
    {
        var control = TestPostgres.Control();
        var unpooled = new NpgsqlConnectionStringBuilder(TestPostgres.ConnectionString) { Pooling = false, Timeout = 5 }.ConnectionString;

        await control.StopAsync(Ct).WaitAsync(Timeout, Ct);
        try
        {
            await using var refused = new NpgsqlConnection(unpooled);
            await Assert.ThrowsAsync<NpgsqlException>(() => refused.OpenAsync(Ct)).WaitAsync(Timeout, Ct);
        }
        finally
        {
            await control.StartAsync(Ct).WaitAsync(Timeout, Ct);
        }

        await using var connection = new NpgsqlConnection(unpooled);
        await connection.OpenAsync(Ct).WaitAsync(Timeout, Ct);
        await using var command = new NpgsqlCommand("SELECT current_setting('fsync')", connection);
        Assert.Equal("on", await command.ExecuteScalarAsync(Ct).WaitAsync(Timeout, Ct));
    }
}
