using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>
/// SIGHUP reloads the policies. The server runs as its own process (a signal to the test host would
/// reach every server in it), with the watcher and poll off so only the signal can cause the reload.
/// </summary>
public sealed class SignalReloadTests : IDisposable
{
    private readonly PolicyWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Sighup_PolicyChanged_NewRevisionServesAndProcessKeepsRunning()
    {
        var stricter = _workspace.RevisionWith(_workspace.Stricter);
        var adminPort = FreePort();
        var server = Path.Combine(AppContext.BaseDirectory, "Pdp.Server.dll");
        var workDir = Directory.CreateDirectory(Path.Combine(_workspace.PolicyDir, "..", "work")).FullName;
        var start = new ProcessStartInfo("dotnet",
        [
            server,
            $"--Pdp:PolicyDir={_workspace.PolicyDir}",
            $"--Pdp:GrpcPort={FreePort()}",
            $"--Pdp:AdminPort={adminPort}",
            $"--Pdp:AuthZen:Port={FreePort()}",
            "--Pdp:Reload:Watch=false",
            "--Pdp:Reload:PollSeconds=0",
            "--Logging:LogLevel:Default=Warning",
        ])
        {
            // Relative paths the server writes to (an audit trail) land in the test's own directory.
            WorkingDirectory = workDir,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}"), Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            Assert.Equal(_workspace.OriginalRevision, await ReadyRevisionAsync(admin, process, _ => true));

            _workspace.WriteIam(_workspace.Stricter);
            // The shell's kill builtin: no dependency on a kill binary being installed.
            using (var kill = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"kill -HUP {process.Id}"]))!)
            {
                await kill.WaitForExitAsync().WaitAsync(PdpTestServer.Timeout);
                Assert.Equal(0, kill.ExitCode);
            }

            Assert.Equal(stricter, await ReadyRevisionAsync(admin, process, revision => revision == stricter));
            Assert.False(process.HasExited);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync().WaitAsync(PdpTestServer.Timeout);
            _ = await stdout.WaitAsync(PdpTestServer.Timeout);
            _ = await stderr.WaitAsync(PdpTestServer.Timeout);
        }
    }

    /// <summary>Polls <c>/readyz</c> until it names a revision <paramref name="wanted"/> accepts.</summary>
    private static async Task<string> ReadyRevisionAsync(HttpClient admin, Process process, Func<string, bool> wanted)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            Assert.False(process.HasExited, $"the server exited with {(process.HasExited ? process.ExitCode : 0)}");
            Assert.True(Stopwatch.GetElapsedTime(started) < PdpTestServer.Timeout, "no wanted revision on /readyz in time");
            try
            {
                using var response = await admin.GetAsync(new Uri("/readyz", UriKind.Relative)).WaitAsync(PdpTestServer.Timeout);
                var body = (await response.Content.ReadAsStringAsync()).Trim();
                if (response.IsSuccessStatusCode && body.StartsWith("ready ", StringComparison.Ordinal) && wanted(body["ready ".Length..]))
                {
                    return body["ready ".Length..];
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // The client's own timeout.
            }

            await Task.Delay(25);
        }
    }

    private static int FreePort() => Pdp.TestSupport.FreePorts.Next();
}
