using Microsoft.Extensions.DependencyInjection;
using Pdp.Contracts.V1;
using Pdp.Server.Policies;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>The poll that catches lost file events, with the watcher off so only the poll can notice a change.</summary>
public sealed class PollReloadTests : IDisposable
{
    private readonly PolicyWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Reload_WatchOffPollOn_UnchangedPollLoadsNothingAndAChangeServesAfterTheNextPoll()
    {
        var stricter = _workspace.RevisionWith(_workspace.Stricter);
        await using var server = await PdpTestServer.StartAsync(
            _workspace.PolicyDir,
            PolicyWorkspace.Settings(("Pdp:Reload:Watch", "false"), ("Pdp:Reload:PollSeconds", "1")));
        var status = server.Services.GetRequiredService<PolicyReloadStatus>();

        // A poll that finds the content the start-up load read loads nothing and counts no attempt.
        await PolicyWorkspace.WaitUntilAsync(() => status.Skips >= 1);
        Assert.Equal((1, 0), (status.Successes, status.Failures));

        _workspace.WriteIam(_workspace.Stricter);
        await PolicyWorkspace.WaitUntilAsync(() => status.CurrentRevision == stricter);

        var response = await server.Client.DecideAsync(PdpTestServer.Request("iam.account.disable")).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        Assert.Equal(stricter, response.PolicyRevision);
        Assert.Equal(Verdict.RequireHuman, response.Verdict);
        Assert.Equal(ReloadTrigger.Poll, status.Current.LastTrigger);
        Assert.Equal((2, 0), (status.Successes, status.Failures));
    }
}
