using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Pdp.LoadTests.Tests;

/// <summary>
/// The server as its own process (<c>dotnet Pdp.Server.dll</c>) on free loopback ports, as in
/// tests/Pdp.Server.Tests/PdpProcess.cs: a load test must not share the test host's thread pool with the server.
/// </summary>
internal sealed class PdpProcess : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly HttpClient _admin;

    private PdpProcess(Process process, int grpcPort, int adminPort)
    {
        _process = process;
        GrpcPort = grpcPort;
        AdminPort = adminPort;
        _admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}"), Timeout = TimeSpan.FromSeconds(5) };
    }

    public int GrpcPort { get; }

    public int AdminPort { get; }

    public int Id => _process.Id;

    public Uri GrpcAddress => new($"http://127.0.0.1:{GrpcPort}");

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
            // Every listener on a free port, so the smoke run never collides with another server on the machine.
            $"--Pdp:AuthZen:Port={FreePort()}",
            "--Logging:LogLevel:Default=Warning",
            .. extra,
        ];
        var process = Process.Start(new ProcessStartInfo("dotnet", args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
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
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pdp.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Pdp.sln not found");
    }

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
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
                using var response = await _admin.GetAsync(new Uri("/readyz", UriKind.Relative));
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
