"""A realistic day of orders around Berlin: real streets and postal codes, windows, parcels.

Deterministic for a seed, so two demo runs print the same day.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

# (street, postal code, district, lat, lng): real Berlin streets, coordinates near their middle.
STREETS = [
    ("Torstraße", "10119", "Mitte", 52.5291, 13.4010),
    ("Kastanienallee", "10435", "Prenzlauer Berg", 52.5380, 13.4090),
    ("Schönhauser Allee", "10437", "Prenzlauer Berg", 52.5450, 13.4120),
    ("Oranienstraße", "10999", "Kreuzberg", 52.5010, 13.4190),
    ("Bergmannstraße", "10961", "Kreuzberg", 52.4890, 13.3950),
    ("Karl-Marx-Allee", "10243", "Friedrichshain", 52.5170, 13.4400),
    ("Boxhagener Straße", "10245", "Friedrichshain", 52.5110, 13.4630),
    ("Sonnenallee", "12047", "Neukölln", 52.4800, 13.4430),
    ("Weserstraße", "12045", "Neukölln", 52.4870, 13.4330),
    ("Kantstraße", "10623", "Charlottenburg", 52.5060, 13.3200),
    ("Schlossstraße", "12163", "Steglitz", 52.4570, 13.3210),
    ("Müllerstraße", "13353", "Wedding", 52.5480, 13.3530),
    ("Turmstraße", "10559", "Moabit", 52.5260, 13.3380),
    ("Hauptstraße", "10827", "Schöneberg", 52.4860, 13.3530),
    ("Frankfurter Allee", "10247", "Friedrichshain", 52.5150, 13.4700),
    ("Greifswalder Straße", "10405", "Prenzlauer Berg", 52.5340, 13.4330),
    ("Warschauer Straße", "10243", "Friedrichshain", 52.5080, 13.4490),
    ("Wilmersdorfer Straße", "10627", "Charlottenburg", 52.5090, 13.3060),
    ("Karl-Liebknecht-Straße", "10178", "Mitte", 52.5230, 13.4070),
    ("Hermannstraße", "12049", "Neukölln", 52.4750, 13.4250),
]
FIRST = ["Anna", "Ben", "Clara", "Deniz", "Emil", "Fatma", "Greta", "Hannes", "Ida", "Jonas", "Lea", "Mehmet",
         "Nina", "Oskar", "Paula", "Quentin", "Rosa", "Samir", "Tilda", "Yusuf"]
LAST = ["Müller", "Schmidt", "Yılmaz", "Schneider", "Fischer", "Weber", "Nowak", "Becker", "Hoffmann", "Kaya",
        "Schäfer", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schwarz", "Zimmermann", "Krüger", "Hartmann"]
PRODUCTS = [  # sku, description, grams, (l, w, h) mm, temperature
    ("BRD-SOUR-1", "Sourdough loaf", 900, (300, 150, 120), "ambient"),
    ("MLK-OAT-1L", "Oat milk 1 l", 1050, (95, 60, 200), "chilled"),
    ("ICE-VAN-500", "Vanilla ice cream", 520, (120, 120, 90), "frozen"),
    ("BK-NOVEL", "Hardcover novel", 650, (240, 160, 40), "ambient"),
    ("PLT-MONST", "Monstera plant", 4200, (350, 350, 700), "ambient"),
    ("CF-BEANS-1K", "Coffee beans 1 kg", 1000, (250, 120, 80), "ambient"),
    ("CHS-BOARD", "Cheese board", 800, (200, 200, 80), "chilled"),
]
SERVICE_LEVELS = ["same_day", "same_day", "next_day", "scheduled", "express", "economy"]
DEPOT = {"location_id": "berlin-hub-1", "address": {"line1": "Lahnstraße 30", "city": "Berlin", "postal_code": "12055",
         "country": "DE", "geo": {"lat": 52.4690, "lng": 13.4510, "source": "manual"}}}


def delivery(rng: random.Random, n: int, day: datetime) -> dict[str, Any]:
    street, postal, district, lat, lng = rng.choice(STREETS)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    start_hour = rng.choice([9, 10, 12, 14, 16, 18])
    window_start = day.replace(hour=start_hour)
    items = rng.sample(PRODUCTS, rng.randint(1, 3))
    parcels = [{"sku": sku, "description": desc, "quantity": rng.randint(1, 2), "weight_g": grams,
                "dimensions_mm": {"length": dims[0], "width": dims[1], "height": dims[2]}, "temperature": temp}
               for sku, desc, grams, dims, temp in items]
    address: dict[str, Any] = {
        "line1": f"{street} {rng.randint(1, 180)}", "city": "Berlin", "region": "BE", "postal_code": postal,
        "country": "DE", "geo": {"lat": round(lat + rng.uniform(-0.004, 0.004), 6),
                                 "lng": round(lng + rng.uniform(-0.006, 0.006), 6), "source": "store", "accuracy_m": 15},
    }
    if rng.random() < 0.6:
        address["unit"], address["floor"] = f"{rng.randint(1, 5)}{rng.choice('LR')}", str(rng.randint(0, 5))
    doc: dict[str, Any] = {
        "source": {"external_id": f"BER-{n:05d}", "external_order_number": f"#{1000 + n}", "store": "kiezladen.de"},
        "service_level": rng.choice(SERVICE_LEVELS),
        "priority_tier": "vip" if rng.random() < 0.05 else "standard",
        "promised_window": {"start": window_start.isoformat(), "end": (window_start + timedelta(hours=2)).isoformat()},
        "pickup": {**DEPOT, "ready_at": day.replace(hour=7).isoformat()},
        "dropoff": {
            "contact": {"name": f"{first} {last}", "phone": f"+49 30 {rng.randint(1000000, 9999999)}",
                        "email": f"{first.lower()}.{n}@example.org"},
            "address": address,
            "access": {"instructions": f"{district}: ring twice"} if rng.random() < 0.3 else {},
        },
        "parcels": parcels,
        "requirements": {"vehicle_features": ["cold_chain"]} if any(p["temperature"] != "ambient" for p in parcels) else {},
        "declared_value": {"amount": f"{rng.randint(8, 180)}.{rng.randint(0, 99):02d}", "currency": "EUR"},
        "tags": ["demo"],
    }
    if not doc["dropoff"]["access"]:
        del doc["dropoff"]["access"]
    if not doc["requirements"]:
        del doc["requirements"]
    return doc


def day_of_orders(count: int, seed: int = 7, day: datetime | None = None) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    berlin = timezone(timedelta(hours=1))  # CET; the demo day is in winter
    day = (day or datetime(2026, 11, 26, tzinfo=berlin)).replace(minute=0, second=0, microsecond=0)
    return [delivery(rng, n, day) for n in range(count)]
