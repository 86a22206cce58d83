using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Grpc.Net.Client;
using Pdp.Contracts.V1;

namespace Pdp.TestSupport;

/// <summary>
/// The server as its own process (<c>dotnet Pdp.Server.dll</c>) on free loopback ports, for what an in-process host
/// cannot show (a kill -9, a signal, an exit code) and for load tests, which must not share the test host's thread
/// pool with the server. The test project must reference Pdp.Server so that Pdp.Server.dll sits beside the tests.
/// </summary>
public sealed class PdpProcess : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;

    private PdpProcess(Process process, int grpcPort, int adminPort)
    {
        _process = process;
        GrpcPort = grpcPort;
        AdminPort = adminPort;
        Channel = GrpcChannel.ForAddress(GrpcAddress);
        Client = new DecisionService.DecisionServiceClient(Channel);
        Admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}"), Timeout = TimeSpan.FromSeconds(5) };
    }

    public int GrpcPort { get; }

    public int AdminPort { get; }

    public int Id => _process.Id;

    public Uri GrpcAddress => new($"http://127.0.0.1:{GrpcPort}");

    public GrpcChannel Channel { get; }

    public DecisionService.DecisionServiceClient Client { get; }

    public HttpClient Admin { get; }

    public static async Task<PdpProcess> StartAsync(string policyDir, string auditPath, params string[] extra)
    {
        var (grpcPort, adminPort) = (FreePort(), FreePort());
        string[] args =
        [
            Path.Combine(AppContext.BaseDirectory, "Pdp.Server.dll"),
            $"--Pdp:PolicyDir={policyDir}",
            $"--Pdp:Audit:Path={auditPath}",
            $"--Pdp:GrpcPort={grpcPort}",
            $"--Pdp:AdminPort={adminPort}",
            // Every listener on a free port, so a test never collides with another server on the machine.
            $"--Pdp:AuthZen:Port={FreePort()}",
            "--Logging:LogLevel:Default=Warning",
            .. extra,
        ];
        return await LaunchAsync(args, grpcPort, adminPort, workingDirectory: null);
    }

    /// <summary>
    /// The server started as a user on a shared host would start a second instance: its own working directory and
    /// gRPC and admin ports, and nothing else set (every other listener and path at its default).
    /// </summary>
    public static Task<PdpProcess> StartWithDefaultsAsync(string workingDirectory, string policyDir)
    {
        var (grpcPort, adminPort) = (FreePort(), FreePort());
        string[] args =
        [
            Path.Combine(AppContext.BaseDirectory, "Pdp.Server.dll"),
            $"--Pdp:PolicyDir={policyDir}",
            $"--Pdp:GrpcPort={grpcPort}",
            $"--Pdp:AdminPort={adminPort}",
        ];
        return LaunchAsync(args, grpcPort, adminPort, workingDirectory);
    }

    private static async Task<PdpProcess> LaunchAsync(string[] args, int grpcPort, int adminPort, string? workingDirectory)
    {
        var start = new ProcessStartInfo("dotnet", args) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PdpProcess(process, grpcPort, adminPort);
        try
        {
            await server.WaitReadyAsync();
        }
        catch
        {
            // A server that never became ready must not outlive the test that started it.
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>The checkout's root (where Pdp.sln is).</summary>
    public static string RepositoryRoot() => Repository.Root;

    /// <summary>SIGKILL: no shutdown hook, no flush, no goodbye.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().WaitAsync(Timeout);
    }

    /// <summary>SIGTERM, then waits for the graceful shutdown: the trail is closed, so a tool may read it as a whole.</summary>
    public async Task StopAsync()
    {
        using (Process.Start("kill", ["-TERM", Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
        }

        await _process.WaitForExitAsync().WaitAsync(Timeout);
    }

    /// <summary>Waits for the process to end on its own and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync();
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        Channel.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(Timeout);
        }

        _process.Dispose();
    }

    private async Task WaitReadyAsync()
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the server exited with {_process.ExitCode} before it was ready");
            }

            try
            {
                using var response = await Admin.GetAsync(new Uri("/readyz", UriKind.Relative));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Not answering yet.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("the server did not become ready");
    }

    private static int FreePort() => FreePorts.Next();
}
