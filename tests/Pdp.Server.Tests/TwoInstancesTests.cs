using Grpc.Core;
using Pdp.Contracts.V1;
using Pdp.TestSupport;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>
/// Two sidecars on one host, each given only its own gRPC and admin ports: no optional listener takes a fixed port by
/// default, so the second starts beside the first (the AuthZEN listener on 8383 used to stop it with "address already in use").
/// </summary>
public sealed class TwoInstancesTests
{
    [Fact]
    public async Task Start_SecondInstanceWithItsOwnGrpcAndAdminPorts_BothServe()
    {
        var policies = Path.Combine(PdpProcess.RepositoryRoot(), "policies");
        var first = Directory.CreateTempSubdirectory("pdp-first-");
        var second = Directory.CreateTempSubdirectory("pdp-second-");
        try
        {
            await using var a = await PdpProcess.StartWithDefaultsAsync(first.FullName, policies);
            await using var b = await PdpProcess.StartWithDefaultsAsync(second.FullName, policies);

            foreach (var server in new[] { a, b })
            {
                var response = await server.Client.DecideAsync(
                    new DecideRequest { Agent = new Agent { Id = "agent-1" }, Action = new Pdp.Contracts.V1.Action { Type = "incident.annotate" } },
                    deadline: DateTime.UtcNow.AddSeconds(10));
                Assert.NotEqual(Verdict.Unspecified, response.Verdict);
                Assert.False(string.IsNullOrEmpty(response.DecisionId));
            }

            // Each kept its own trail under its own working directory (the default relative path).
            Assert.True(File.Exists(Path.Combine(first.FullName, "data", "audit.jsonl")));
            Assert.True(File.Exists(Path.Combine(second.FullName, "data", "audit.jsonl")));
        }
        finally
        {
            first.Delete(recursive: true);
            second.Delete(recursive: true);
        }
    }
}
