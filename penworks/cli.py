"""`penworks ...`: the demo, the platform, the twin alone, and the building model tools."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import aiomqtt

from penworks import __version__, cli_users
from penworks.config import (
    DEFAULT_SITE,
    PlatformConfig,
    Role,
    load_platform_config,
)
from penworks.connectors.mqtt.topics import broker_address
from penworks.core import Clock, PenworksError, RealClock, SimClock
from penworks.demo import TwinOptions, run_demo, run_twin, send_scenario
from penworks.discovery import DISCOVERERS, discover, write_report
from penworks.model import SiteModel, dump_site_yaml, export_turtle, import_turtle, stats
from penworks.model.loader import read_site
from penworks.model.merge import load_fragment, merge_fragment
from penworks.model.park import feeds, park_site
from penworks.runtime import Platform, keep_startup_heap
from penworks.sim.controls import Controls
from penworks.sim.park import LoadStats, ParkLoad, Topic, TopicField
from penworks.sim.run import Ports, RunningTwin
from penworks.sim.scenarios import DESCRIPTIONS, ScenarioKind
from penworks.sim.twin import building15

log = logging.getLogger("penworks")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("amqtt", "transitions", "uvicorn.error", "asyncio", "asyncua", "pymodbus"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        result: int = args.func(args)
    except PenworksError as exc:
        print(f"penworks: {exc}", file=sys.stderr)
        return 1
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="penworks", description=__doc__)
    parser.add_argument("--version", action="version", version=f"penworks {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(metavar="COMMAND")

    demo = commands.add_parser("demo", help="run the Building 15 twin and the platform together")
    demo.add_argument(
        "--speed", type=float, default=1.0, help="simulated seconds per second (1..600)"
    )
    demo.add_argument(
        "--duration", type=float, help="stop this many wall-clock seconds after it is live"
    )
    demo.add_argument("--port", type=int, default=8015, help="API and dashboard port (0: any)")
    demo.add_argument("--data", type=Path, default=Path("data/demo"), help="data directory")
    demo.add_argument(
        "--broker", help="use this MQTT broker (mqtt://HOST:PORT) instead of the embedded one"
    )
    demo.add_argument("--mqtt-port", type=int, default=0, help="embedded broker port (0: any)")
    demo.add_argument("--seed", type=int, default=15, help="seed of the twin")
    _controls_option(demo)
    demo.add_argument(
        "--start", type=_aware_datetime, help="simulated start (ISO 8601 with zone); default now"
    )
    demo.add_argument("--site", type=Path, default=DEFAULT_SITE, help="site model file")
    demo.add_argument("--scenarios", type=Path, help="scenario file to schedule (YAML)")
    demo.add_argument(
        "--truth", type=Path, help="ground-truth log (default: ground-truth.jsonl in --data)"
    )
    demo.set_defaults(func=_demo)

    run = commands.add_parser("run", help="run the platform against real devices")
    run.add_argument("--config", type=Path, required=True, help="platform config file (YAML)")
    run.add_argument(
        "--role",
        action="append",
        type=_roles,
        metavar="ROLE[,ROLE]",
        help="what this process does, instead of the config's roles: gateway, history, rules, "
        "apps, api (repeat or comma-separate; apps and api need rules alongside)",
    )
    run.add_argument(
        "--data-dir", type=Path, help="this process's data directory, instead of the config's"
    )
    run.set_defaults(func=_run)

    sim = commands.add_parser(
        "sim", help="run the Building 15 twin alone, its devices on their own protocols"
    )
    sim.add_argument("--broker", default="mqtt://127.0.0.1:1883", help="mqtt://HOST:PORT")
    sim.add_argument(
        "--speed", type=float, default=1.0, help="simulated seconds per second (1..600)"
    )
    sim.add_argument("--seed", type=int, default=15, help="seed of the twin")
    _controls_option(sim)
    sim.add_argument("--start", type=_aware_datetime, help="simulated start (ISO 8601 with zone)")
    sim.add_argument(
        "--duration", type=float, help="stop this many wall-clock seconds after it is ready"
    )
    sim.add_argument("--host", default="127.0.0.1", help="address the device servers bind")
    sim.add_argument("--modbus-port", type=int, default=15020, help="first Modbus gateway port")
    sim.add_argument("--bacnet-port", type=int, default=47820, help="first BACnet device port")
    sim.add_argument("--opcua-port", type=int, default=48400, help="OPC UA server port")
    sim.add_argument("--scenarios", type=Path, help="scenario file to schedule (YAML)")
    sim.add_argument("--truth", type=Path, default=Path("ground-truth.jsonl"), help="truth log")
    sim.add_argument(
        "--site", type=Path, default=DEFAULT_SITE, help="site file named in --write-config"
    )
    sim.add_argument(
        "--write-config", type=Path, help="write a platform config that reaches the twin"
    )
    sim.add_argument(
        "--park",
        type=int,
        metavar="N",
        help="instead of the twin: a load generator for a park of N copies of the site's "
        "building, every point on MQTT (see `penworks model park`)",
    )
    sim.add_argument(
        "--period", type=float, default=60.0, help="with --park: seconds between samples of a point"
    )
    sim.add_argument("--qos", type=int, default=0, choices=(0, 1), help="with --park: MQTT QoS")
    sim.set_defaults(func=_sim)
    sim_commands = sim.add_subparsers(metavar="ACTION")
    scenario = sim_commands.add_parser("scenario", help="inject a scenario into a running twin")
    scenario.add_argument("name", nargs="?", help="scenario: fire, water_leak, ...")
    scenario.add_argument("--target", help="where: a place (f3/r301) or equipment (chiller1)")
    scenario.add_argument("--duration", type=float, help="seconds (default: the scenario's own)")
    scenario.add_argument("--broker", default="mqtt://127.0.0.1:1883", help="the twin's broker")
    scenario.add_argument("--list", action="store_true", help="list scenarios and targets")
    scenario.set_defaults(func=_sim_scenario)

    disc = commands.add_parser(
        "discover", help="find devices and draft site-model entries for them to review"
    )
    disc.add_argument("protocol", choices=sorted(DISCOVERERS), help="protocol to discover")
    disc.add_argument(
        "--target", required=True, help="HOST:PORT of a device (opcua also takes an opc.tcp:// URL)"
    )
    disc.add_argument(
        "--out", type=Path, default=Path("discovered.yaml"), help="draft site file to write"
    )
    disc.add_argument(
        "--config-out", type=Path, help="write the connector config here (default: print it)"
    )
    disc.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for answers")
    disc.set_defaults(func=_discover)

    model = commands.add_parser("model", help="building model tools (Brick export, import, stats)")
    model_commands = model.add_subparsers(metavar="ACTION", required=True)
    export = model_commands.add_parser("export", help="write the site as Brick Turtle")
    export.add_argument("--site", type=Path, default=DEFAULT_SITE, help="site model file")
    export.add_argument("--format", choices=["turtle"], default="turtle")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    export.set_defaults(func=_model_export)
    imp = model_commands.add_parser("import", help="turn a Brick Turtle model into a site file")
    imp.add_argument("file", type=Path, help="Brick model (.ttl)")
    imp.add_argument("--out", type=Path, required=True, help="site file to write (YAML)")
    imp.set_defaults(func=_model_import)
    merge = model_commands.add_parser(
        "merge", help="merge site fragments (templates, spaces, placed equipment) into a site"
    )
    merge.add_argument("site", type=Path, help="site file (YAML)")
    merge.add_argument("fragments", type=Path, nargs="+", help="fragment files, merged in order")
    merge.add_argument("--out", type=Path, required=True, help="site file to write")
    merge.set_defaults(func=_model_merge)
    park = model_commands.add_parser(
        "park", help="write a park of N copies of a one-building site, every point on MQTT"
    )
    park.add_argument("--site", type=Path, default=DEFAULT_SITE, help="site model file")
    park.add_argument("--buildings", type=int, required=True, help="how many buildings")
    park.add_argument("--out", type=Path, required=True, help="site file to write (YAML)")
    park.set_defaults(func=_model_park)

    st = model_commands.add_parser("stats", help="count Brick classes and relations")
    st.add_argument(
        "file", type=Path, nargs="?", help="site YAML or Brick .ttl (default: the configured site)"
    )
    st.add_argument("--config", type=Path, help="platform config whose site to count")
    st.set_defaults(func=_model_stats)

    cli_users.add_parser(commands)
    return parser


def _controls_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--controls",
        type=Controls,
        choices=list(Controls),
        default=Controls.LOCAL,
        help="the twin's local controls: local (occupancy, daylight, optimal start, demand "
        "ventilation) or fixed (time schedules only)",
    )


def _aware_datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("give a time zone, e.g. 2026-07-01T08:00+08:00")
    return value


def _clock(speed: float, start: datetime | None) -> Clock:
    if not 1 <= speed <= 600:
        raise PenworksError(f"--speed must be between 1 and 600, got {speed}")
    if speed == 1 and start is None:
        return RealClock()
    return SimClock(start or datetime.now(UTC), speed)


def first_user_help(url: str, token: str, where: str) -> str:
    """What to do while nobody can sign in: the one-time setup token, or the CLI."""
    return (
        "No user yet. Create the first administrator in the browser at "
        f"{url}/#/login with the one-time setup token\n    {token}\n"
        f"or on this machine: penworks user add NAME --admin {where}"
    )


def _demo(args: argparse.Namespace) -> int:
    clock = _clock(args.speed, args.start)
    model = SiteModel.load(args.site)
    data = args.data.resolve()
    options = TwinOptions(
        seed=args.seed,
        speed=args.speed,
        ports=Ports(),
        truth=args.truth or data / "ground-truth.jsonl",
        scenarios=args.scenarios,
        controls=args.controls,
    )

    async def main() -> None:
        stop = asyncio.Event()
        _stop_on_signals(stop.set)

        def ready(api_url: str, broker: str, setup_token: str | None) -> None:
            keep_startup_heap()
            print(
                f"Penworks demo: Building 15 live at {api_url}  "
                f"(MQTT {broker}, speed {args.speed:g}x)"
            )
            if setup_token is not None:
                print(first_user_help(api_url, setup_token, f"--data {data}"))
            print("Press Ctrl-C to stop.", flush=True)
            _stop_after(stop.set, args.duration)

        await run_demo(
            clock,
            model,
            args.site,
            data,
            args.port,
            args.broker,
            args.mqtt_port,
            options,
            ready,
            stop,
        )

    asyncio.run(main())
    print("Penworks demo stopped; history is saved in", args.data)
    return 0


def _roles(text: str) -> list[Role]:
    try:
        return [Role(word.strip()) for word in text.split(",") if word.strip()]
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise argparse.ArgumentTypeError(f"unknown role in {text!r} (roles: {known})") from None


def _run(args: argparse.Namespace) -> int:
    config = load_platform_config(args.config)
    if args.role:
        chosen = [role for group in args.role for role in group]
        config = config.model_copy(update={"roles": list(dict.fromkeys(chosen))})
    if args.data_dir is not None:
        config = config.model_copy(update={"data_dir": args.data_dir.resolve()})
    model = SiteModel.load(config.site)
    return asyncio.run(_run_platform(config, model))


async def _run_platform(config: PlatformConfig, model: SiteModel) -> int:
    platform = Platform(config, RealClock(), model)
    _stop_on_signals(platform.request_stop, None)

    def ready(url: str) -> None:
        keep_startup_heap()
        roles = ", ".join(sorted(platform.roles))
        print(f"Penworks platform ({roles}) at {url or 'no API in this process'}", flush=True)
        if platform.setup_token is not None:
            print(first_user_help(url, platform.setup_token, "--config CONFIG"), flush=True)

    await platform.run(on_ready=ready)
    return 0


def _sim(args: argparse.Namespace) -> int:
    if args.park is not None:
        return _sim_park(args)
    clock = _clock(args.speed, args.start)
    options = TwinOptions(
        seed=args.seed,
        speed=args.speed,
        ports=Ports(args.host, args.modbus_port, args.bacnet_port, args.opcua_port),
        truth=args.truth,
        scenarios=args.scenarios,
        controls=args.controls,
    )

    async def main() -> None:
        stop = asyncio.Event()
        _stop_on_signals(stop.set)

        def ready(twin: RunningTwin) -> None:
            counts = Counter(e.protocol for e in twin.endpoints())
            devices = ", ".join(f"{n} {protocol}" for protocol, n in sorted(counts.items()))
            print(f"Building 15 twin at {args.speed:g}x: {devices} devices; MQTT via {args.broker}")
            if args.write_config is not None:
                print(f"platform config written to {args.write_config}")
            print("Press Ctrl-C to stop.", flush=True)
            _stop_after(stop.set, args.duration)

        await run_twin(clock, args.broker, options, args.site, args.write_config, ready, stop)

    asyncio.run(main())
    return 0


def _sim_park(args: argparse.Namespace) -> int:
    site = park_site(SiteModel.load(args.site).expanded, args.park)
    topics = [
        Topic(f.topic, tuple(TopicField(k, kind.value, lo, hi) for k, kind, lo, hi in f.fields))
        for f in feeds(site)
    ]
    load = ParkLoad(topics, period_s=args.period, qos=args.qos, seed=args.seed)
    host, port = broker_address(args.broker)

    def report(stats: LoadStats) -> None:
        print(
            f"{stats.messages:,} messages, {stats.points:,} points ({stats.rate():,.0f}/s), "
            f"{stats.late} late",
            flush=True,
        )

    async def main() -> None:
        stop = asyncio.Event()
        _stop_on_signals(stop.set, args.duration)
        async with aiomqtt.Client(host, port) as client:
            print(
                f"a park of {args.park} buildings: {len(topics):,} topics, "
                f"{load.points_per_s:,.0f} points/s to {args.broker}; Ctrl-C to stop",
                flush=True,
            )
            await load.run(client, stop, report)

    asyncio.run(main())
    return 0


def _sim_scenario(args: argparse.Namespace) -> int:
    if args.list:
        building = building15(datetime.now(UTC))
        for kind in ScenarioKind:
            targets = building.scenarios.targets(kind)
            print(f"{kind.value}: {DESCRIPTIONS[kind]}")
            print(f"    targets: {', '.join(targets) or '-'}")
        return 0
    if args.name is None or args.target is None:
        raise PenworksError("give a scenario and --target (or --list to see them)")
    answer = asyncio.run(send_scenario(args.broker, args.name, args.target, args.duration))
    print(answer["detail"])
    return 0 if answer.get("ok") else 1


def _stop_on_signals(stop: Callable[[], None], duration: float | None = None) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    _stop_after(stop, duration)


def _stop_after(stop: Callable[[], None], duration: float | None) -> None:
    if duration is not None:
        asyncio.get_running_loop().call_later(duration, stop)


def _discover(args: argparse.Namespace) -> int:
    result = asyncio.run(discover(args.protocol, args.target, args.timeout))
    print(write_report(result, args.out, args.config_out))
    if args.config_out is None:
        print(result.config_yaml, end="")
    return 0 if result.discovery.devices else 1


def _model_export(args: argparse.Namespace) -> int:
    text = export_turtle(SiteModel.load(args.site))
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
    return 0


def _model_import(args: argparse.Namespace) -> int:
    site = import_turtle(args.file)
    args.out.write_text(dump_site_yaml(site), encoding="utf-8")
    SiteModel.load(args.out)  # what was written must load back
    print(f"wrote {args.out}")
    return 0


def _model_park(args: argparse.Namespace) -> int:
    site = park_site(SiteModel.load(args.site).expanded, args.buildings)
    model = SiteModel.from_def(site, source=str(args.out))  # what is written must load
    args.out.write_text(dump_site_yaml(site), encoding="utf-8")
    print(f"wrote {args.out}: {len(model.points())} points in {len(site.buildings)} buildings")
    return 0


def _model_merge(args: argparse.Namespace) -> int:
    site, _ = read_site(args.site)
    for path in args.fragments:
        site = merge_fragment(site, load_fragment(path), source=str(path))
    model = SiteModel.from_def(site, source=str(args.out))  # what is written must load
    args.out.write_text(dump_site_yaml(site), encoding="utf-8")
    print(f"wrote {args.out}: {len(model.points())} points, {len(model.entities())} entities")
    return 0


def _model_stats(args: argparse.Namespace) -> int:
    source: SiteModel | Path
    if args.file is not None:
        source = args.file
    else:
        site = load_platform_config(args.config).site if args.config else DEFAULT_SITE
        source = SiteModel.load(site)
    for name, count in stats(source):
        print(f"{name} {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
