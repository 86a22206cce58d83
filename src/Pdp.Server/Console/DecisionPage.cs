using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pdp.Review.Model;

namespace Pdp.Server.Console;

/// <summary>What the AI proposed, read from the decision's recorded (already redacted) input.</summary>
public sealed record ProposedAction(string Type, string Target, JsonObject? Parameters, string Rationale, string Confidence, string Risk, string Model, string ModelVersion);

/// <summary>What a decision page shows besides the decision: the form's state and a message for the reviewer.</summary>
/// <param name="Message">A plain sentence: why a disposition was refused, or what was recorded.</param>
/// <param name="Refused">Whether <paramref name="Message"/> is a refusal (shown as an alert).</param>
public sealed record DecisionPageState(DateTimeOffset ShownAt, int MinSeconds, IReadOnlyList<string> Frameworks, string AntiforgeryField, string AntiforgeryToken, string? Message = null, bool Refused = false, string Justification = "", string? Parameters = null);

/// <summary>
/// One decision: the proposal, its rationale and risk, the agent, the policies' reasons and references, four-eyes
/// progress and time left; and, while it is pending, the form to approve, reject or modify it.
/// </summary>
public static class DecisionPage
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static ProposedAction Proposed(DecisionFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var input = facts.RecordedInput;
        var action = input["action"] as JsonObject;
        var target = action?["target"] as JsonObject;
        var agent = input["agent"] as JsonObject;
        return new ProposedAction(
            TextOf(action?["type"]),
            $"{TextOf(target?["kind"])} {TextOf(target?["id"])}".Trim(),
            action?["parameters"] as JsonObject,
            TextOf(action?["rationale"]),
            TextOf(action?["confidence"]),
            TextOf(action?["risk_score"]),
            TextOf(agent?["model"]),
            TextOf(agent?["model_version"]));
    }

    public static string ParametersJson(JsonObject? parameters) => parameters is null ? "{}" : parameters.ToJsonString(Indented);

    public static string Render(ConsoleReviewer reviewer, ReviewView view, DateTimeOffset now, DecisionPageState state)
    {
        ArgumentNullException.ThrowIfNull(reviewer);
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(state);
        var facts = view.Decision;
        var proposed = Proposed(facts);
        return Html.Page(proposed.Type, "decision", reviewer.Name, now, html =>
        {
            html.Raw("<p class=\"back\"><a href=\"/\">← Queue</a></p>");
            html.Raw("<h1>").Text(proposed.Type).Raw(" <span class=\"target\">on ").Text(proposed.Target).Raw("</span></h1>");
            if (state.Message is not null)
            {
                html.Raw(state.Refused ? "<p class=\"refusal\" role=\"alert\" id=\"message\">" : "<p class=\"recorded\" role=\"status\" id=\"message\">").Text(state.Message).Raw("</p>");
            }

            Status(html, view, now, state);
            html.Raw("<section><h2>What the AI proposed</h2><dl>");
            html.Term("Action type", proposed.Type).Term("Target", proposed.Target);
            html.Raw("<dt>Parameters</dt><dd><pre id=\"parameters\">").Text(ParametersJson(proposed.Parameters)).Raw("</pre></dd>");
            html.Raw("<dt>Rationale</dt><dd><p id=\"rationale\" class=\"rationale\">").Text(proposed.Rationale.Length > 0 ? proposed.Rationale : "(not given)").Raw("</p></dd>");
            html.Term("Confidence", proposed.Confidence).Term("Risk score", proposed.Risk);
            html.Raw("</dl></section>");

            html.Raw("<section><h2>Agent</h2><dl>");
            html.Term("Agent", facts.AgentId).Term("Model", proposed.Model).Term("Model version", proposed.ModelVersion).Term("On behalf of", facts.OnBehalfOf);
            html.Raw("</dl></section>");

            html.Raw("<section><h2>Why a human decides</h2><ul class=\"reasons\">");
            foreach (var reason in facts.Reasons)
            {
                html.Raw("<li><span class=\"policy\">").Text(reason.PolicyId).Raw("</span>: ").Text(reason.Message).Raw("</li>");
            }

            html.Raw("</ul><dl>");
            html.Term("Policy", facts.PolicyId).Term("Control owner", facts.ControlOwner).Term("Approver group", facts.ApproverGroup);
            if (facts.EscalationGroup.Length > 0)
            {
                // Once escalated, the escalation group may decide too: the page says so, with when.
                html.Raw("<dt>Escalation</dt><dd id=\"escalation\">").Text(view.Review.EscalatedAt is { } escalated
                    ? $"escalated to {facts.EscalationGroup} at {escalated:u}; that group may decide it too"
                    : $"to {facts.EscalationGroup} if still pending part-way through its window").Raw("</dd>");
            }

            html.Term("Framework references", state.Frameworks.Count == 0 ? null : string.Join(", ", state.Frameworks));
            html.Raw("<dt>Action digest</dt><dd><code id=\"digest\">").Text(facts.ActionDigest).Raw("</code></dd>");
            html.Raw("</dl></section>");

            FourEyes(html, view);
            if (view.Review.State == ReviewState.Pending && !(facts.ExpiresAt <= now))
            {
                Form(html, view, state);
            }
        });
    }

    private static void Status(Html html, ReviewView view, DateTimeOffset now, DecisionPageState state)
    {
        var facts = view.Decision;
        html.Raw("<p class=\"status\"><span id=\"state\" class=\"state\">").Text(StateText(view.Review.State)).Raw("</span>");
        if (view.Review.State == ReviewState.Pending && facts.ExpiresAt is { } expires)
        {
            html.Raw(" · Time left: <span id=\"time-left\"").Attr("data-until", Html.Millis(expires)).Raw(">").Text(Html.Duration(expires - now)).Raw("</span>");
        }

        html.Raw(" · Open for <span id=\"open-for\"").Attr("data-since", Html.Millis(state.ShownAt)).Raw(">").Text(Html.Duration(now - state.ShownAt)).Raw("</span>");
        html.Raw(" <span class=\"hint\">(since this page was first shown to you)</span></p>");
    }

    private static void FourEyes(Html html, ReviewView view)
    {
        var facts = view.Decision;
        var approvals = view.Review.Dispositions.Where(d => d.Outcome == ReviewOutcome.Approved).ToList();
        html.Raw("<section><h2>Four eyes</h2><p id=\"progress\">");
        html.Text(string.Create(CultureInfo.InvariantCulture, $"{approvals.Count} of {facts.MinApprovals} approval{(facts.MinApprovals == 1 ? string.Empty : "s")}"));
        html.Text(approvals.Count == 0 ? "; nobody has approved yet." : $": approved by {string.Join(", ", approvals.Select(a => a.Reviewer))}.");
        html.Raw("</p>");
        if (view.Review.Dispositions.Count > 0)
        {
            html.Raw("<ul class=\"dispositions\">");
            foreach (var d in view.Review.Dispositions)
            {
                html.Raw("<li>").Text($"{d.RecordedAt:u} — {d.Outcome.ToText()}{(d.Reviewer.Length > 0 ? " by " + d.Reviewer : string.Empty)}");
                if (d.Justification.Length > 0)
                {
                    html.Raw(": <q>").Text(d.Justification).Raw("</q>");
                }

                html.Raw("</li>");
            }

            html.Raw("</ul>");
        }

        html.Raw("</section>");
    }

    private static void Form(Html html, ReviewView view, DecisionPageState state)
    {
        var facts = view.Decision;
        html.Raw("<section><h2>Your decision</h2><form id=\"decide\" method=\"post\"").Attr("action", ConsoleEndpoints.DecisionPath(facts.DecisionId)).Attr("data-min-seconds", state.MinSeconds.ToString(CultureInfo.InvariantCulture)).Raw(">");
        html.Raw("<input type=\"hidden\"").Attr("name", state.AntiforgeryField).Attr("value", state.AntiforgeryToken).Raw(">");
        html.Raw("<p id=\"stamp-notice\" class=\"stamp\">").Text($"An approval sent sooner than {state.MinSeconds} s after this page was first shown to you is recorded as a rubber stamp in the audit trail and the metrics.").Raw("</p>");
        html.Raw("<label for=\"justification\">Justification <span class=\"hint\">(required to reject or modify)</span></label>");
        html.Raw("<textarea id=\"justification\" name=\"justification\" rows=\"3\" maxlength=\"4096\">").Text(state.Justification).Raw("</textarea>");
        html.Raw("<label for=\"new-parameters\">Parameters as JSON <span class=\"hint\">(used only to modify)</span></label>");
        html.Raw("<textarea id=\"new-parameters\" name=\"parameters\" rows=\"8\" spellcheck=\"false\">").Text(state.Parameters ?? ParametersJson(Proposed(facts).Parameters)).Raw("</textarea>");
        html.Raw("<p id=\"form-error\" class=\"refusal\" role=\"alert\" hidden></p>");
        html.Raw("<div class=\"buttons\"><button type=\"submit\" name=\"outcome\" value=\"approved\" id=\"approve\">Approve</button>");
        html.Raw("<button type=\"submit\" name=\"outcome\" value=\"rejected\" id=\"reject\">Reject</button>");
        if (facts.MinApprovals <= 1)
        {
            html.Raw("<button type=\"submit\" name=\"outcome\" value=\"modified\" id=\"modify\">Modify and approve</button>");
        }

        html.Raw("</div></form></section>");
    }

    private static string StateText(ReviewState state) => state switch
    {
        ReviewState.Pending => "Pending review",
        ReviewState.NotRequired => "No review required",
        _ => $"Settled: {state.ToString().ToLowerInvariant()}",
    };

    private static string TextOf(JsonNode? node) => node switch
    {
        null => string.Empty,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<double>(out var d) => d.ToString(CultureInfo.InvariantCulture),
        _ => node.ToJsonString(),
    };
}
