using Microsoft.Extensions.Options;
using Pdp.Policies.Loading;
using Pdp.Server.Hosting;
using Pdp.Server.Admin;

// Container and exec-probe health check: no server, just a GET of the admin port's /readyz (or the path given).
if (args is [HealthCheckCommand.Flag, .. var rest])
{
    return await HealthCheckCommand.RunAsync(rest, Console.Out);
}

try
{
    await PdpServer.Build(args).RunAsync();
    return 0;
}
catch (PolicyLoadException e)
{
    // The problems name file, line and column; print them plainly for whoever started us.
    await Console.Error.WriteLineAsync($"pdp: {e.Message}");
    return 1;
}
catch (ReviewStoreStartupException e)
{
    await Console.Error.WriteLineAsync($"pdp: {e.Message}");
    return 1;
}
catch (Pdp.Audit.AuditTrailCorruptException e)
{
    // Evidence missing or changed: refuse to serve on it, with the one line that says what (no stack trace).
    await Console.Error.WriteLineAsync($"pdp: refusing to start: {e.Message}");
    return 1;
}
catch (OptionsValidationException e)
{
    await Console.Error.WriteLineAsync($"pdp: invalid configuration: {string.Join("; ", e.Failures)}");
    return 1;
}
