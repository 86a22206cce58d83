using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using Pdp.Contracts.V1;

namespace Pdp.Server.Tests;

/// <summary>What the identity tests share: a policy that answers with <c>input.caller</c>, and a real gRPC client over mTLS.</summary>
internal static class MtlsTestKit
{
    /// <summary>
    /// A policy for <c>id.*</c> whose reason is the caller as the policy saw it (<c>id.human</c> needs a human).
    /// <c>id.measure</c> shortens the SPIFFE ID to its length and ends, since a reason holds at most 1024 characters
    /// and an ID up to 2048.
    /// </summary>
    public const string EchoPolicy = """
        export const policy = { id: "identity-echo", owner: "o", approver_group: "reviewers", applies_to: ["id.*"] };
        export function decide(input) {
          const id = input.caller.spiffe_id || "";
          const reason = input.action.type === "id.measure"
            ? JSON.stringify({ ...input.caller, spiffe_id: undefined, length: id.length, start: id.slice(0, 64), end: id.slice(-64) })
            : JSON.stringify(input.caller);
          return input.action.type === "id.human" ? { verdict: "require_human", reason } : { verdict: "allow", reason };
        }
        """;

    /// <summary>
    /// A channel to the mTLS port presenting <paramref name="clientCertificate"/> (none when null), trusting only
    /// a server certificate that chains to <paramref name="serverCa"/>; <paramref name="seen"/> hears each one.
    /// </summary>
    public static GrpcChannel Channel(int port, X509Certificate2? clientCertificate, X509Certificate2 serverCa, Action<X509Certificate2>? seen = null) =>
        GrpcChannel.ForAddress($"https://127.0.0.1:{port}", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                SslOptions =
                {
                    ClientCertificates = clientCertificate is null ? null : new X509CertificateCollection { clientCertificate },
                    RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    {
                        if (certificate is not X509Certificate2 server)
                        {
                            return false;
                        }

                        seen?.Invoke(server);
                        using var chain = new X509Chain();
                        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                        chain.ChainPolicy.CustomTrustStore.Add(serverCa);
                        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                        return chain.Build(server);
                    },
                },
            },
        });

    public static async Task<DecideResponse> DecideAsync(GrpcChannel channel, string type) =>
        await new DecisionService.DecisionServiceClient(channel).DecideAsync(new DecideRequest
        {
            Agent = new Agent { Id = "triage-bot", OnBehalfOf = "owner-1" },
            Action = new Pdp.Contracts.V1.Action { Type = type, Target = new Target { Kind = "host", Id = "h1" } },
        }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
}
