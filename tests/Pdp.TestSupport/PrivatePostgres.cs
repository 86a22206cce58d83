using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Pdp.TestSupport;

/// <summary>
/// A PostgreSQL cluster of one test's own (its temp directory, a free port), for tests that stop and start the database
/// mid-run: stopping the shared cluster would fail every other test running beside them. Built with the same server
/// binaries as the shared one (<c>PDP_TEST_POSTGRES_BIN</c>), so it fails, not skips, where those are missing.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private PrivatePostgres(string directory, int port, PostgresControl control)
    {
        Directory = directory;
        Port = port;
        Control = control;
    }

    public string Directory { get; }

    public int Port { get; }

    public PostgresControl Control { get; }

    public string ConnectionString => string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres");

    public static async Task<PrivatePostgres> StartAsync(CancellationToken cancellationToken)
    {
        var bin = Environment.GetEnvironmentVariable(PostgresControl.BinVariable);
        if (string.IsNullOrWhiteSpace(bin))
        {
            throw new InvalidOperationException($"{PostgresControl.BinVariable} is not set: run the tests through .ci/run, or start PostgreSQL and set it — see docs/review-plane.md");
        }

        var directory = System.IO.Directory.CreateTempSubdirectory("pdp-test-pg-").FullName;
        if (Environment.IsPrivilegedProcess)
        {
            // The server refuses to run as root; the cluster belongs to the postgres user, like .ci/run's.
            using var chown = Process.Start("chown", ["postgres:postgres", directory])!;
            await chown.WaitForExitAsync(cancellationToken);
        }

        var port = FreePort();
        var control = new PostgresControl(Path.Combine(directory, "data"), bin);
        var cluster = new PrivatePostgres(directory, port, control);
        try
        {
            await control.InitAndStartAsync(port, directory, cancellationToken);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Control.StopAsync();
        }
        catch (InvalidOperationException)
        {
            // Already stopped by the test, or never started.
        }

        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private static int FreePort() => FreePorts.Next();
}
