using System.Globalization;
using Pdp.Review.Model;

namespace Pdp.Server.Console;

/// <summary>
/// The queue: pending reviews of the reviewer's groups, soonest deadline first, with age and time left. The rows are
/// also served alone (<see cref="ConsoleEndpoints.RowsPath"/>) for the script to swap in when the live stream says the
/// queue changed.
/// </summary>
public static class QueuePage
{
    public static string Render(ConsoleReviewer reviewer, IReadOnlyList<ReviewView> queue, DateTimeOffset now, int limit)
    {
        ArgumentNullException.ThrowIfNull(reviewer);
        return Html.Page("Queue", "queue", reviewer.Name, now, html =>
        {
            html.Raw("<h1>Reviews waiting for you</h1>");
            html.Raw("<p class=\"groups\">");
            if (reviewer.Groups.Count == 0)
            {
                html.Text("You are in no approver group, so no review is routed to you.");
            }
            else
            {
                html.Text($"Your approver groups: {string.Join(", ", reviewer.Groups)}. ");
            }

            html.Raw(" <span id=\"live\" class=\"live\">Live updates are off without JavaScript; reload to refresh.</span></p>");
            html.Raw("<table class=\"queue\"><thead><tr><th>Action</th><th>Target</th><th>Agent</th><th>Group</th><th>Approvals</th><th>Waiting</th><th>Time left</th></tr></thead>");
            html.Raw("<tbody id=\"queue-rows\"").Attr("data-rows-url", ConsoleEndpoints.RowsPath).Attr("data-events-url", ConsoleEndpoints.EventsPath).Raw(">");
            Rows(html, queue, now, limit);
            html.Raw("</tbody></table>");
        });
    }

    public static string RenderRows(IReadOnlyList<ReviewView> queue, DateTimeOffset now, int limit)
    {
        var html = new Html();
        Rows(html, queue, now, limit);
        return html.ToString();
    }

    private static void Rows(Html html, IReadOnlyList<ReviewView> queue, DateTimeOffset now, int limit)
    {
        if (queue.Count == 0)
        {
            html.Raw("<tr class=\"empty\"><td colspan=\"7\">Nothing is waiting for your review.</td></tr>");
            return;
        }

        foreach (var view in queue)
        {
            var facts = view.Decision;
            var action = DecisionPage.Proposed(facts);
            html.Raw("<tr class=\"review\"").Attr("data-decision-id", facts.DecisionId).Raw(">");
            html.Raw("<td><a").Attr("href", ConsoleEndpoints.DecisionPath(facts.DecisionId)).Raw(">").Text(action.Type).Raw("</a></td>");
            html.Element("td", action.Target);
            html.Element("td", facts.AgentId);
            html.Element("td", facts.ApproverGroup);
            html.Element("td", string.Create(CultureInfo.InvariantCulture, $"{view.Review.Approvals} of {facts.MinApprovals}"));
            html.Raw("<td").Attr("data-since", Html.Millis(facts.DecidedAt)).Raw(">").Text(Html.Duration(now - facts.DecidedAt)).Raw("</td>");
            if (facts.ExpiresAt is { } expires)
            {
                html.Raw("<td").Attr("data-until", Html.Millis(expires)).Raw(">").Text(Html.Duration(expires - now)).Raw("</td>");
            }
            else
            {
                html.Element("td", "no deadline");
            }

            html.Raw("</tr>");
        }

        if (queue.Count >= limit)
        {
            html.Raw("<tr class=\"more\"><td colspan=\"7\">").Text($"Showing the {limit} soonest to expire; more are waiting.").Raw("</td></tr>");
        }
    }
}
