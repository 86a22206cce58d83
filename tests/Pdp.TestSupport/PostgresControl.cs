using System.Diagnostics;
using System.Text;

namespace Pdp.TestSupport;

/// <summary>
/// Stops and starts the test cluster with pg_ctl, for tests of a review store whose database goes away and comes
/// back. Start reuses the options the cluster was last started with (its <c>postmaster.opts</c>), so the server
/// comes back on the same port, socket directory and listen address that .ci/run gave it.
/// </summary>
public sealed class PostgresControl
{
    public const string DataVariable = "PDP_TEST_POSTGRES_DATA";
    public const string BinVariable = "PDP_TEST_POSTGRES_BIN";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(90);

    public PostgresControl(string dataDirectory, string binDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(binDirectory);
        DataDirectory = dataDirectory;
        BinDirectory = binDirectory;
    }

    public string DataDirectory { get; }

    public string BinDirectory { get; }

    /// <summary>The cluster .ci/run started, from <c>PDP_TEST_POSTGRES_DATA</c> and <c>PDP_TEST_POSTGRES_BIN</c>.</summary>
    /// <exception cref="InvalidOperationException">Either variable is not set.</exception>
    public static PostgresControl FromEnvironment() => new(Required(DataVariable), Required(BinVariable));

    /// <summary>Creates and starts a new cluster in <see cref="DataDirectory"/> on 127.0.0.1:<paramref name="port"/>, sockets in <paramref name="socketDirectory"/>.</summary>
    public async Task InitAndStartAsync(int port, string socketDirectory, CancellationToken cancellationToken = default)
    {
        await PgCtlAsync(["initdb", "-D", DataDirectory, "-o", "--auth=trust --username=postgres --encoding=UTF8 --no-locale"], cancellationToken);
        await PgCtlAsync(
            ["start", "-D", DataDirectory, "-w", "-t", "60", "-l", Path.Combine(DataDirectory, "pdp-test-restarts.log"), "-o", $"-p {port} -k {socketDirectory} -c listen_addresses=127.0.0.1"],
            cancellationToken);
    }

    /// <summary>Fast shutdown: open sessions are ended, committed work is on disk. Returns once the server is down.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) =>
        PgCtlAsync(["stop", "-D", DataDirectory, "-w", "-t", "60", "-m", "fast"], cancellationToken);

    /// <summary>Starts the cluster with the options it last ran with. Returns once it accepts connections.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        var options = ServerOptions(File.ReadAllText(Path.Combine(DataDirectory, "postmaster.opts")));
        return PgCtlAsync(
            ["start", "-D", DataDirectory, "-w", "-t", "60", "-l", Path.Combine(DataDirectory, "pdp-test-restarts.log"), "-o", options],
            cancellationToken);
    }

    /// <summary>
    /// The server's arguments from postmaster.opts (<c>/path/postgres "-D" "/data" "-p" "55432" ...</c>) less the
    /// program and its data directory (pg_ctl passes -D itself), quoted for the shell pg_ctl starts the server with.
    /// </summary>
    internal static string ServerOptions(string postmasterOpts)
    {
        var arguments = new List<string>();
        var rest = postmasterOpts.AsSpan().Trim();
        while (true)
        {
            var open = rest.IndexOf('"');
            if (open < 0)
            {
                break;
            }

            var close = rest[(open + 1)..].IndexOf('"');
            if (close < 0)
            {
                throw new FormatException($"unterminated argument in postmaster.opts: {postmasterOpts}");
            }

            arguments.Add(rest.Slice(open + 1, close).ToString());
            rest = rest[(open + close + 2)..];
        }

        var options = new StringBuilder();
        for (var i = 0; i < arguments.Count; i++)
        {
            if (arguments[i] == "-D")
            {
                i++;
                continue;
            }

            options.Append(options.Length == 0 ? "" : " ").Append('\'').Append(arguments[i].Replace("'", "'\\''", StringComparison.Ordinal)).Append('\'');
        }

        return options.ToString();
    }

    private async Task PgCtlAsync(string[] arguments, CancellationToken cancellationToken)
    {
        var pgCtl = Path.Combine(BinDirectory, "pg_ctl");

        // The server refuses to run as root; .ci/run (root) made the cluster as the postgres user.
        var start = Environment.IsPrivilegedProcess
            ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", pgCtl, .. arguments])
            : new ProcessStartInfo(pgCtl, arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CommandTimeout);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not run {pgCtl}");
        process.StandardInput.Close();
        try
        {
            // pg_ctl sends the server's own output to the -l log, so these pipes close when pg_ctl exits.
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"pg_ctl {arguments[0]} on {DataDirectory} exited with {process.ExitCode}: {(await stdout).Trim()} {(await stderr).Trim()}");
            }
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

    private static string Required(string variable)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        return string.IsNullOrWhiteSpace(value)
            ? throw new InvalidOperationException(
                $"{variable} is not set: run the tests through .ci/run, or start PostgreSQL and set it — see docs/review-plane.md")
            : value;
    }
}
