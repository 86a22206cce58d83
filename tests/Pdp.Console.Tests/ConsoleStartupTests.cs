using Microsoft.Extensions.Options;

namespace Pdp.Console.Tests;

/// <summary>The console refuses to start without verified reviewers, saying what to set.</summary>
public sealed class ConsoleStartupTests
{
    [Fact]
    public async Task Start_ConsolePortWithoutOidc_RefusesNamingTheSettings()
    {
        var policies = ConsoleServer.CreatePolicies();
        var keys = Directory.CreateTempSubdirectory("pdp-console-keys-").FullName;
        try
        {
            var error = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
            {
                await using var server = await ConsoleServer.StartAsync(policies, keys, new Dictionary<string, string?> { ["Pdp:Review:Oidc:Issuer"] = string.Empty, ["Pdp:Review:Oidc:Audience"] = string.Empty, ["Pdp:Review:Oidc:JwksPath"] = string.Empty });
            });

            Assert.Contains("Pdp:Console:Port is set but Pdp:Review:Oidc is not configured", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(policies, recursive: true);
            Directory.Delete(keys, recursive: true);
        }
    }
}
