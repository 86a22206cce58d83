using System.CommandLine;
using Pdp.Reviewers;

namespace Pdp.Cli.Commands;

/// <summary>
/// <c>pdp token keygen DIR</c> and <c>pdp token mint</c>: a local development key and reviewer tokens signed with it,
/// for running the reviewer console and verified dispositions on a laptop. A minted token is accepted only by a server
/// whose <c>Pdp:Review:Oidc:JwksPath</c> the operator pointed at that key's JWKS: nothing trusts it by default.
/// </summary>
internal static class TokenCommand
{
    public static Command Create(CliIo io) =>
        new("token", "Development reviewer tokens: a local signing key (keygen) and tokens signed with it (mint). For development only: production tokens come from your identity provider.")
        {
            Keygen(io),
            Mint(io),
        };

    private static Command Keygen(CliIo io)
    {
        var directory = new Argument<string>("DIR") { Description = $"Where to write {DevelopmentKeys.PrivateKeyFile} (private, mode 600) and {DevelopmentKeys.JwksFile} (the public JWKS for Pdp:Review:Oidc:JwksPath)." };
        var command = new Command("keygen", "Create an ES256 development signing key and its JWKS.") { directory };
        command.SetAction(parse =>
        {
            var dir = parse.GetRequiredValue(directory);
            try
            {
                var kid = DevelopmentKeys.Generate(dir);
                io.Out.WriteLine($"key {kid}: {Path.Combine(dir, DevelopmentKeys.PrivateKeyFile)} (keep it private), {Path.Combine(dir, DevelopmentKeys.JwksFile)} (point Pdp:Review:Oidc:JwksPath at it)");
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                io.Fail($"cannot write the key to '{dir}': {e.Message}");
                return ExitCodes.Usage;
            }
        });
        return command;
    }

    private static Command Mint(CliIo io)
    {
        var key = new Option<string>("--key") { Description = $"The private key written by keygen ({DevelopmentKeys.PrivateKeyFile}).", Required = true, HelpName = "PEM" };
        var issuer = new Option<string>("--issuer") { Description = "The token's issuer: Pdp:Review:Oidc:Issuer.", Required = true };
        var audience = new Option<string>("--audience") { Description = "The token's audience: Pdp:Review:Oidc:Audience.", Required = true };
        var reviewer = new Option<string>("--reviewer") { Description = "Who the reviewer is (the reviewer claim's value, e.g. an email).", Required = true };
        var subject = new Option<string?>("--subject") { Description = "The subject (default: the reviewer)." };
        var claim = new Option<string>("--reviewer-claim") { Description = "The claim naming the reviewer: Pdp:Review:Oidc:ReviewerClaim.", DefaultValueFactory = _ => "email" };
        var groups = new Option<string[]>("--group") { Description = "A group the token lists (repeat); needs --groups-claim.", AllowMultipleArgumentsPerToken = false };
        var groupsClaim = new Option<string>("--groups-claim") { Description = "The claim listing groups: Pdp:Review:Oidc:GroupsClaim.", DefaultValueFactory = _ => "groups" };
        var minutes = new Option<int>("--minutes") { Description = "Lifetime in minutes (1..1440).", DefaultValueFactory = _ => 60 };
        var command = new Command("mint", "Print a reviewer token signed with a development key.") { key, issuer, audience, reviewer, subject, claim, groups, groupsClaim, minutes };
        command.SetAction(parse =>
        {
            var lifetime = parse.GetValue(minutes);
            if (lifetime is < 1 or > 1440)
            {
                io.Fail("--minutes must be 1..1440");
                return ExitCodes.Usage;
            }

            try
            {
                var name = parse.GetRequiredValue(reviewer);
                io.Out.WriteLine(DevelopmentKeys.Mint(
                    parse.GetRequiredValue(key),
                    parse.GetRequiredValue(issuer),
                    parse.GetRequiredValue(audience),
                    parse.GetValue(subject) ?? name,
                    parse.GetValue(claim)!,
                    name,
                    parse.GetValue(groups) ?? [],
                    parse.GetValue(groupsClaim)!,
                    TimeSpan.FromMinutes(lifetime),
                    DateTimeOffset.UtcNow));
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or System.Security.Cryptography.CryptographicException)
            {
                io.Fail($"cannot mint a token: {e.Message}");
                return ExitCodes.Usage;
            }
        });
        return command;
    }
}
