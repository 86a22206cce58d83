using Microsoft.Extensions.Options;
using Pdp.Policies.Loading;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>A broken policy directory or configuration stops the server with a message naming the cause.</summary>
public sealed class StartupTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pdp-startup-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Start_PolicyWithSyntaxError_FailsNamingFileAndLine()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "broken.js"), "export const policy = { id: 'b', owner: 'o', applies_to: ['*'] };\nexport function decide(input) {\n  return {;\n}\n");

        var error = await Assert.ThrowsAsync<PolicyLoadException>(() => PdpTestServer.StartAsync(_dir));

        var problem = Assert.Single(error.Problems);
        Assert.Equal("broken.js", problem.File);
        Assert.Equal(3, problem.Line);
        Assert.Contains("broken.js:3:", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Pdp:Sandbox:TimeoutMilliseconds", "0", "TimeoutMilliseconds")]
    [InlineData("Pdp:Sandbox:MaxStatements", "-1", "MaxStatements")]
    [InlineData("Pdp:Sandbox:MemoryLimitBytes", "0", "MemoryLimitBytes")]
    [InlineData("Pdp:Sandbox:MaxRecursionDepth", "0", "MaxRecursionDepth")]
    [InlineData("Pdp:DefaultVerdict", "maybe", "DefaultVerdict")]
    [InlineData("Pdp:MaxStructDepth", "0", "MaxStructDepth")]
    [InlineData("Pdp:ListenAddress", "not-an-ip", "ListenAddress")]
    [InlineData("Pdp:Audit:Checkpoint:EveryRecords", "0", "EveryRecords")]
    [InlineData("Pdp:Audit:Checkpoint:EverySeconds", "0", "Checkpoint interval")]
    [InlineData("Pdp:Audit:Retention:MaxBytes", "1024", "Retention MaxBytes")]
    [InlineData("Pdp:Audit:Retention:MaxAgeSeconds", "0", "Retention MaxAge")]
    [InlineData("Pdp:Review:EscalateAt", "0", "Pdp:Review:EscalateAt")]
    [InlineData("Pdp:Review:EscalateAt", "1", "Pdp:Review:EscalateAt")]
    [InlineData("Pdp:Review:EscalateAt", "1.5", "Pdp:Review:EscalateAt")]
    [InlineData("Pdp:Notify:ConsoleUrl", "console.example.org", "Pdp:Notify:ConsoleUrl")]
    public async Task Start_InvalidSetting_RefusedNamingTheSetting(string key, string value, string named)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => PdpTestServer.StartAsync(settings: new Dictionary<string, string?> { [key] = value }));

        Assert.Contains(error.Failures, f => f.Contains(named, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Process_BrokenPolicyDirectory_ExitsNonZeroAndPrintsTheProblem()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "ownerless.js"), "export const policy = { id: 'x', applies_to: ['*'] };\nexport function decide() { return undefined; }\n");
        var result = await ProcessRun.ServerAsync(PdpTestServer.Timeout, $"--Pdp:PolicyDir={_dir}", "--Pdp:GrpcPort=0", "--Pdp:AdminPort=0");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("ownerless.js:1:", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("policy.owner is required", result.Stderr, StringComparison.Ordinal);
    }
}
