using System.Collections.Concurrent;
using Grpc.Core;
using Pdp.TestSupport;

namespace Pdp.Server.Tests;

/// <summary>
/// Clients that keep deciding on a server process (a third of them sent to a human) until it is killed or told to
/// stop, collecting the id of every decision the server acknowledged: what a crash test checks the trail against.
/// </summary>
internal static class DecisionLoad
{
    public static Task[] Start(PdpProcess server, int clients, ConcurrentBag<string> acknowledged, CancellationToken stop) =>
        [.. Enumerable.Range(0, clients).Select(i => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var response = await server.Client.DecideAsync(ReviewPolicies.Request(i % 3 == 0 ? "review.human" : "review.allow"), deadline: DateTime.UtcNow.AddSeconds(10));
                    acknowledged.Add(response.DecisionId);
                }
                catch (RpcException)
                {
                    // The server is gone mid-call: that decision was never acknowledged.
                    return;
                }
            }
        }))];
}
