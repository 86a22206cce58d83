using System.Net;
using Pdp.Server.Configuration;

namespace Pdp.Server.Admin;

/// <summary>
/// <c>Pdp.Server --healthcheck [/path] [--Pdp:X=…]</c>: GETs <c>/readyz</c> (or the path given, e.g. <c>/healthz</c>) on
/// the admin port and exits 0 on a 2xx answer, 1 otherwise. For a container HEALTHCHECK or a Kubernetes exec
/// probe where there is no curl and the admin port listens on loopback only. The port and address come from
/// the same settings the server reads (appsettings.json, environment, arguments).
/// </summary>
public static class HealthCheckCommand
{
    public const string Flag = "--healthcheck";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>Runs the check; <paramref name="args"/> are the arguments after <see cref="Flag"/>.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        var (path, overrides) = args is [var first, .. var others] && first.StartsWith('/') ? (first, others) : ("/readyz", args);
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(overrides)
            .Build();
        var settings = configuration.GetSection(PdpOptions.Section).Get<PdpOptions>() ?? new PdpOptions();

        // The admin listener binds ListenAddress; a wildcard bind is reached on loopback.
        var address = IPAddress.TryParse(settings.ListenAddress, out var parsed) && !parsed.Equals(IPAddress.Any) && !parsed.Equals(IPAddress.IPv6Any)
            ? parsed
            : IPAddress.Loopback;
        var uri = new UriBuilder(Uri.UriSchemeHttp, address.ToString(), settings.AdminPort, path).Uri;
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = Timeout };
        try
        {
            using var response = await client.GetAsync(uri).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            await output.WriteLineAsync($"{uri} {(int)response.StatusCode}: {text.Trim()}").ConfigureAwait(false);
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            await output.WriteLineAsync($"{uri} unreachable: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}
