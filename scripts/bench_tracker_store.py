"""What keeping conversations costs per message: Rasa's SQL tracker store (SQLite) against the in-memory one.

One process, one loaded model, the action server in the same process (as in scripts/demo_traffic.py);
the same scripted conversations alternate between the two stores (memory, SQL, memory, SQL, ...) so
background load on a shared machine falls on both alike. Per message: wall time of
`Agent.handle_message` (median, mean, p95) and this process's CPU time. Prints a Markdown table.

Usage: python scripts/bench_tracker_store.py [--rounds 30] [--db /tmp/bench_tracker.db]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.demo_traffic import ENDPOINTS, free_port, load_agent, quiet_logs, start_action_server  # noqa: E402
from shop.tokens import mint_token  # noqa: E402

#: A mixed conversation of customer 1: greeting, FAQ, an order lookup, a return up to its question, thanks.
SCRIPT = ["你好", "包邮吗", "我的订单8800000100000005到哪了", "8800000100000007 我要退货", "算了", "谢谢"]


async def run(rounds: int, db: Path) -> dict[str, dict[str, float]]:
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore

    port = free_port()
    server = await start_action_server(port)
    agent = await load_agent(port, ENDPOINTS)
    db.unlink(missing_ok=True)
    stores = {"in-memory": InMemoryTrackerStore(agent.domain),
              "SQL (SQLite)": SQLTrackerStore(agent.domain, db=str(db))}
    walls: dict[str, list[float]] = {name: [] for name in stores}
    cpu: dict[str, float] = {name: 0.0 for name in stores}
    token = mint_token(1, ttl_seconds=3600)
    try:
        for round_no in range(rounds + 1):  # round 0 warms both up and is not counted
            for name, store in stores.items():
                agent.tracker_store = store
                agent.processor.tracker_store = store
                sender = f"bench-{name[:3]}-{round_no}"
                for text in SCRIPT:
                    message = UserMessage(text, CollectingOutputChannel(), sender, input_channel="rest",
                                          metadata={"customer_token": token})
                    cpu_before, wall_before = time.process_time(), time.perf_counter()
                    await agent.handle_message(message)
                    wall, spent = time.perf_counter() - wall_before, time.process_time() - cpu_before
                    if round_no:
                        walls[name].append(wall * 1000)
                        cpu[name] += spent * 1000
    finally:
        server.close()
        await server.wait_closed()
    return {
        name: {"messages": len(values), "median": statistics.median(values), "mean": statistics.fmean(values),
               "p95": sorted(values)[int(len(values) * 0.95) - 1], "cpu": cpu[name] / len(values)}
        for name, values in walls.items()
    }


def table(results: dict[str, dict[str, float]]) -> str:
    base = results["in-memory"]
    lines = ["| tracker store | messages | median ms | mean ms | p95 ms | CPU ms/message | CPU vs in-memory |",
             "|---|---|---|---|---|---|---|"]
    for name, figures in results.items():
        lines.append(f"| {name} | {figures['messages']:.0f} | {figures['median']:.1f} | {figures['mean']:.1f} | "
                     f"{figures['p95']:.1f} | {figures['cpu']:.1f} | {figures['cpu'] / base['cpu']:.2f}× |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--db", type=Path, default=Path("/tmp/xiaoer_bench_tracker.db"))
    args = parser.parse_args()
    if not 1 <= args.rounds <= 500:
        parser.error("--rounds must be 1-500")
    quiet_logs()
    print(table(asyncio.run(run(args.rounds, args.db))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
