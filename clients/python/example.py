"""Subscribe to AAPL 1-minute bars and print updates: python3 example.py [http://127.0.0.1:8000] [count]"""
import asyncio
import sys

from tickwire import TickwireClient, TickwireError


async def main(url: str, count: int) -> None:
    client = TickwireClient(url, "/api/v1/ws")
    seen = asyncio.Queue()
    client.on("bars.update", lambda m: seen.put_nowait(m))
    client.on_recovery(lambda e: print("recovery", e["topic"], "resumed" if e["recovered"] else f"lost ({e.get('reason')})"))
    await client.connect()
    state = await client.subscribe("AAPL", "1")
    print("subscribed", state["topic"], "as of", state["asOf"])
    try:
        await client.subscribe("NOPE", "1")
    except TickwireError as err:
        print("refused:", err.code)
    for _ in range(count):
        m = await seen.get()
        print(m["topic"], m.get("seq"), m["payload"]["close"])
    await client.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000", int(sys.argv[2]) if len(sys.argv) > 2 else 5))
