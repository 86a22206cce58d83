using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Pdp.Server.Tests;

/// <summary>A real Prometheus (Debian's package) on a loopback port, scraping a Pdp and evaluating the shipped rules.</summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dir;

    private PrometheusServer(Process process, string dir, int port)
    {
        _process = process;
        _dir = dir;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public HttpClient Http { get; }

    /// <summary>Starts Prometheus scraping <paramref name="target"/> every second, with the given rule file.</summary>
    public static async Task<PrometheusServer> StartAsync(string target, string rulesFile)
    {
        var dir = Directory.CreateTempSubdirectory("pdp-prometheus-").FullName;
        var config = Path.Combine(dir, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files:
              - {rulesFile}
            scrape_configs:
              - job_name: pdp
                static_configs:
                  - targets: ["{target}"]
            """);
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var start = new ProcessStartInfo("prometheus",
        [
            $"--config.file={config}",
            $"--storage.tsdb.path={Path.Combine(dir, "data")}",
            $"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PrometheusServer(process, dir, port);
        await server.WaitUntilAsync(async () => (await server.QueryAsync("up{job=\"pdp\"}")).Any(v => v == 1));
        return server;
    }

    /// <summary>Runs an instant query and returns the sample values of the result vector.</summary>
    public async Task<IReadOnlyList<double>> QueryAsync(string promql)
    {
        try
        {
            using var response = await Http.GetAsync(new Uri("/api/v1/query?query=" + Uri.EscapeDataString(promql), UriKind.Relative));
            if (!response.IsSuccessStatusCode)
            {
                return [];
            }

            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return json.RootElement.GetProperty("data").GetProperty("result").EnumerateArray()
                .Select(r => double.Parse(r.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture))
                .ToArray();
        }
        catch (HttpRequestException)
        {
            return [];
        }
    }

    public async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await condition().WaitAsync(TimeSpan.FromSeconds(15)))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited with {_process.ExitCode}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Prometheus did not reach the expected state within 60 s");
            }

            await Task.Delay(250);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
        }

        _process.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
