using Microsoft.Extensions.DependencyInjection;
using Pdp.Contracts.V1;
using Pdp.Server.Policies;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>
/// Editing a helper module (policies/lib/*.js) is a policy change: it makes a new revision that the reload serves,
/// whether a file event or the poll (which skips sources whose fingerprint did not change) notices it.
/// </summary>
public sealed class HelperModuleReloadTests : IDisposable
{
    private readonly PolicyWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Reload_HelperModuleEdited_NewRevisionServesWithTheNewHelper(bool watch)
    {
        await using var server = await PdpTestServer.StartAsync(
            _workspace.PolicyDir,
            PolicyWorkspace.Settings(("Pdp:Reload:Watch", watch ? "true" : "false"), ("Pdp:Reload:PollSeconds", watch ? "0" : "1")));
        var status = server.Services.GetRequiredService<PolicyReloadStatus>();
        var before = await server.Client.DecideAsync(PdpTestServer.Request("iam.account.disable")).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        Assert.Equal((Verdict.Allow, _workspace.OriginalRevision), (before.Verdict, before.PolicyRevision));
        if (!watch)
        {
            // The poll has looked at the unchanged directory and skipped it: only a fingerprint that covers lib/ sees the edit.
            await PolicyWorkspace.WaitUntilAsync(() => status.Skips >= 1);
        }

        await File.WriteAllTextAsync(_workspace.HelperPath, _workspace.HelperWithoutAgents()).WaitAsync(PdpTestServer.Timeout);
        var edited = _workspace.CurrentRevision();
        Assert.NotEqual(_workspace.OriginalRevision, edited);
        await PolicyWorkspace.WaitUntilAsync(() => status.CurrentRevision == edited);

        var after = await server.Client.DecideAsync(PdpTestServer.Request("iam.account.disable")).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        Assert.Equal((Verdict.Deny, edited), (after.Verdict, after.PolicyRevision));
        Assert.Contains("is not registered for iam actions", after.Reasons[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reload_HelperModuleBroken_RefusedAndLastGoodRevisionKeepsServing()
    {
        await using var server = await PdpTestServer.StartAsync(
            _workspace.PolicyDir,
            PolicyWorkspace.Settings(("Pdp:Reload:Watch", "false"), ("Pdp:Reload:PollSeconds", "1")));
        var status = server.Services.GetRequiredService<PolicyReloadStatus>();

        await File.AppendAllTextAsync(_workspace.HelperPath, "\nexport function broken( {\n").WaitAsync(PdpTestServer.Timeout);
        await PolicyWorkspace.WaitUntilAsync(() => status.LastError?.Contains("lib/util.js:", StringComparison.Ordinal) == true);

        var response = await server.Client.DecideAsync(PdpTestServer.Request("iam.account.disable")).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        Assert.Equal((Verdict.Allow, _workspace.OriginalRevision), (response.Verdict, response.PolicyRevision));
        Assert.Equal(_workspace.OriginalRevision, status.CurrentRevision);
    }
}
