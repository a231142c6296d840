//! Deterministic synthetic booking monorepos for the benchmarks and the tests that need a large
//! tree (thread counts, the fact cache, the progress line), kept out of the library and binary:
//! apps of a Prisma schema, route handlers calling services calling helpers, a Stripe
//! webhook, client components and plain helpers. The same size and seed give the same bytes.

use std::io;
use std::path::Path;

/// Files per app: a monorepo of N files holds N / APP_FILES apps (the last one partial).
const APP_FILES: usize = 50;

/// What was written.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub files: usize,
    pub bytes: u64,
}

/// SplitMix64: small, seedable, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// The vocabulary of one app: what it books, and what it books into.
struct Names {
    /// Model names (`Appointment`, `TimeSlot`) and their Prisma client accessors.
    booking: &'static str,
    booking_var: &'static str,
    slot: &'static str,
    slot_var: &'static str,
    status_pending: &'static str,
}

const NAMES: &[Names] = &[
    Names {
        booking: "Booking",
        booking_var: "booking",
        slot: "Slot",
        slot_var: "slot",
        status_pending: "PENDING",
    },
    Names {
        booking: "Appointment",
        booking_var: "appointment",
        slot: "TimeSlot",
        slot_var: "timeSlot",
        status_pending: "PENDING_PAYMENT",
    },
    Names {
        booking: "Reservation",
        booking_var: "reservation",
        slot: "ClassSession",
        slot_var: "classSession",
        status_pending: "HELD",
    },
];

const TOPICS: &[&str] = &[
    "pricing", "calendar", "timezone", "invoice", "coupon", "staff", "location", "reminder",
    "report", "export", "search", "profile",
];

/// Writes a monorepo of `files` source files under `out` (created if missing).
pub fn generate(out: &Path, files: usize, seed: u64) -> io::Result<Stats> {
    let mut stats = Stats::default();
    let mut write = |rel: &str, text: String| -> io::Result<()> {
        let path = out.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        stats.files += 1;
        stats.bytes += text.len() as u64;
        std::fs::write(path, text)
    };
    let apps = files.div_ceil(APP_FILES).max(1);
    let mut left = files;
    for app in 0..apps {
        let count = left.min(APP_FILES);
        left -= count;
        let mut rng = Rng(seed ^ (app as u64).wrapping_mul(0xA24B_AED4_963E_E407));
        for (rel, text) in app_files(app, count, &mut rng) {
            write(&format!("apps/app-{app:04}/{rel}"), text)?;
        }
    }
    Ok(stats)
}

/// Writes one file of an app from its vocabulary, its index and the app's random stream.
type Template = fn(&Names, usize, &mut Rng) -> String;

/// The `count` files of one app: the core of a booking app first, then services, routes,
/// helpers and components around it.
fn app_files(app: usize, count: usize, rng: &mut Rng) -> Vec<(String, String)> {
    let n = &NAMES[rng.below(NAMES.len())];
    let mut out: Vec<(String, String)> = Vec::with_capacity(count);
    let core: [(&str, Template); 10] = [
        ("package.json", package_json),
        ("prisma/schema.prisma", schema),
        ("src/lib/db.ts", db),
        ("src/services/bookings.ts", booking_service),
        ("src/app/api/bookings/route.ts", booking_route),
        ("src/app/api/webhooks/stripe/route.ts", webhook),
        ("src/lib/stripe.ts", stripe),
        ("src/app/api/bookings/[id]/cancel/route.ts", cancel_route),
        ("src/components/BookingForm.tsx", booking_form),
        ("src/lib/email.ts", email),
    ];
    for (rel, make) in core.iter().take(count) {
        out.push((rel.to_string(), make(n, app, rng)));
    }
    // Groups of five files share a topic: a service, the route calling it, the helpers the
    // service calls, a component and a CommonJS module.
    let mut k = 0;
    while out.len() < count {
        let topic = TOPICS[(k / 5) % TOPICS.len()];
        let file = match k % 5 {
            0 => (
                format!("src/services/{topic}-{k}.ts"),
                topic_service(n, topic, k, out.len() + 2 < count, rng),
            ),
            1 => (
                format!("src/app/api/{topic}/{k}/route.ts"),
                topic_route(topic, k, rng),
            ),
            2 => (
                format!("src/lib/helpers/{topic}-{k}.ts"),
                helpers(topic, k, rng),
            ),
            3 => (
                format!("src/components/{}{k}.tsx", pascal(topic)),
                component(n, topic, k, rng),
            ),
            _ => (
                format!("src/legacy/{topic}-{k}.js"),
                legacy_js(topic, k, rng),
            ),
        };
        out.push(file);
        k += 1;
    }
    out
}

fn pascal(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// Fills `%KEY%` placeholders (TS braces make `format!` templates unreadable).
fn fill(template: &str, n: &Names, extra: &[(&str, String)]) -> String {
    let mut s = template
        .replace("%B%", n.booking)
        .replace("%b%", n.booking_var)
        .replace("%S%", n.slot)
        .replace("%s%", n.slot_var)
        .replace("%PENDING%", n.status_pending);
    for (k, v) in extra {
        s = s.replace(&format!("%{k}%"), v);
    }
    s
}

fn package_json(_: &Names, app: usize, _: &mut Rng) -> String {
    format!(
        r#"{{
  "name": "@bookings/app-{app:04}",
  "version": "1.0.{app}",
  "private": true,
  "scripts": {{ "dev": "next dev", "build": "next build" }},
  "dependencies": {{
    "@prisma/client": "^5.14.0",
    "next": "14.2.3",
    "react": "18.3.1",
    "resend": "^3.2.0",
    "stripe": "^15.8.0",
    "zod": "^3.23.8"
  }},
  "devDependencies": {{ "prisma": "^5.14.0", "typescript": "^5.4.5" }}
}}
"#
    )
}

fn schema(n: &Names, _: usize, rng: &mut Rng) -> String {
    let unique = if rng.chance(50) {
        "\n  @@unique([%s%Id])"
    } else {
        "\n  @@index([%s%Id])"
    };
    let t = r#"generator client {
  provider = "prisma-client-js"
}

datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model %S% {
  id        String   @id @default(cuid())
  startsAt  DateTime
  endsAt    DateTime
  capacity  Int      @default(1)
  isBooked  Boolean  @default(false)
  %b%s %B%[]
}

model %B% {
  id              String    @id @default(cuid())
  %s%Id  String
  %s%    %S%  @relation(fields: [%s%Id], references: [id])
  customerName    String
  email           String
  phone           String?
  status          %B%Status @default(%PENDING%)
  paymentIntentId String?   @unique
  expiresAt       DateTime?
  createdAt       DateTime  @default(now())
  updatedAt       DateTime  @updatedAt
  payments        Payment[]%UNIQUE%
}

model Payment {
  id        String   @id @default(cuid())
  %b%Id String
  %b%   %B% @relation(fields: [%b%Id], references: [id])
  amount    Int
  status    String
  createdAt DateTime @default(now())
}

enum %B%Status {
  %PENDING%
  CONFIRMED
  CANCELLED
}
"#;
    fill(&t.replace("%UNIQUE%", unique), n, &[])
}

fn db(_: &Names, _: usize, _: &mut Rng) -> String {
    r#"import { PrismaClient } from "@prisma/client";

const globalForPrisma = globalThis as unknown as { prisma?: PrismaClient };
export const prisma = globalForPrisma.prisma ?? new PrismaClient();
if (process.env.NODE_ENV !== "production") globalForPrisma.prisma = prisma;
"#
    .to_string()
}

fn stripe(_: &Names, _: usize, _: &mut Rng) -> String {
    r#"import Stripe from "stripe";

export const stripe = new Stripe(process.env.STRIPE_SECRET_KEY!, { apiVersion: "2024-04-10" });
"#
    .to_string()
}

fn email(_: &Names, _: usize, _: &mut Rng) -> String {
    r#"import { Resend } from "resend";

const resend = new Resend(process.env.RESEND_API_KEY);

export async function sendBookingEmail(to: string, subject: string, html: string) {
  await resend.emails.send({ from: "Bookings <hello@example.com>", to, subject, html });
}
"#
    .to_string()
}

fn booking_service(n: &Names, _: usize, rng: &mut Rng) -> String {
    let create = if rng.chance(50) {
        r#"  return prisma.$transaction(async (tx) => {
    const %s% = await tx.%s%.findUniqueOrThrow({ where: { id: input.%s%Id } });
    const taken = await tx.%b%.count({ where: { %s%Id: %s%.id, status: { in: ["%PENDING%", "CONFIRMED"] } } });
    if (taken >= %s%.capacity) throw new SlotTakenError(%s%.id);
    return tx.%b%.create({
      data: { ...input, status: "%PENDING%", expiresAt: new Date(Date.now() + HOLD_MS) },
    });
  });"#
    } else {
        r#"  await assertSlotAvailable(input.%s%Id);
  return prisma.%b%.create({ data: { ...input, status: "%PENDING%" } });"#
    };
    let t = r#"import { prisma } from "@/lib/db";
import { stripe } from "@/lib/stripe";
import { sendBookingEmail } from "@/lib/email";

const HOLD_MS = %HOLD% * 60 * 1000;

export class SlotTakenError extends Error {
  constructor(public readonly slotId: string) {
    super(`slot ${slotId} is taken`);
  }
}

export interface NewBooking {
  %s%Id: string;
  customerName: string;
  email: string;
  phone?: string;
}

/** Seats left in a slot, counting pending and confirmed bookings. */
export async function seatsLeft(%s%Id: string) {
  const %s% = await prisma.%s%.findUniqueOrThrow({ where: { id: %s%Id } });
  const taken = await prisma.%b%.count({
    where: { %s%Id, status: { in: ["%PENDING%", "CONFIRMED"] } },
  });
  return %s%.capacity - taken;
}

export async function assertSlotAvailable(%s%Id: string) {
  if ((await seatsLeft(%s%Id)) <= 0) {
    throw new SlotTakenError(%s%Id);
  }
}

export async function createPendingBooking(input: NewBooking) {
%CREATE%
}

export async function startPayment(%b%Id: string, amount: number) {
  const intent = await stripe.paymentIntents.create(
    { amount, currency: "eur", metadata: { %b%Id } },
    { idempotencyKey: `%b%-${%b%Id}` },
  );
  await prisma.%b%.update({ where: { id: %b%Id }, data: { paymentIntentId: intent.id } });
  return intent;
}

export async function confirmBooking(%b%Id: string) {
  const %b% = await prisma.%b%.update({ where: { id: %b%Id }, data: { status: "CONFIRMED" } });
  await sendBookingEmail(%b%.email, "You're booked", "<p>See you soon.</p>");
  return %b%;
}

export async function cancelBooking(%b%Id: string) {
  const %b% = await prisma.%b%.findUniqueOrThrow({ where: { id: %b%Id } });
  if (%b%.status === "CANCELLED") return %b%;
  if (%b%.paymentIntentId) {
    await stripe.refunds.create({ payment_intent: %b%.paymentIntentId });
  }
  const cancelled = await prisma.%b%.update({ where: { id: %b%Id }, data: { status: "CANCELLED" } });
  await sendBookingEmail(cancelled.email, "Booking cancelled", "<p>Your payment was refunded.</p>");
  return cancelled;
}

export async function releaseExpiredHolds(now = new Date()) {
  return prisma.%b%.updateMany({
    where: { status: "%PENDING%", expiresAt: { lt: now } },
    data: { status: "CANCELLED" },
  });
}
"#;
    let hold = (5 + rng.below(25)).to_string();
    fill(&t.replace("%CREATE%", create), n, &[("HOLD", hold)])
}

fn booking_route(n: &Names, _: usize, rng: &mut Rng) -> String {
    let amount = (1000 + rng.below(90) * 100).to_string();
    let t = r#"import { z } from "zod";
import { createPendingBooking, startPayment, SlotTakenError } from "@/services/bookings";

const Input = z.object({
  %s%Id: z.string().cuid(),
  customerName: z.string().min(1),
  email: z.string().email(),
  phone: z.string().optional(),
});

export async function POST(req: Request) {
  const parsed = Input.safeParse(await req.json());
  if (!parsed.success) {
    return Response.json({ error: parsed.error.flatten() }, { status: 400 });
  }
  try {
    const %b% = await createPendingBooking(parsed.data);
    const intent = await startPayment(%b%.id, %AMOUNT%);
    return Response.json({ %b%Id: %b%.id, clientSecret: intent.client_secret }, { status: 201 });
  } catch (err) {
    if (err instanceof SlotTakenError) {
      return Response.json({ error: "This slot was just taken" }, { status: 409 });
    }
    throw err;
  }
}
"#;
    fill(t, n, &[("AMOUNT", amount)])
}

fn webhook(n: &Names, _: usize, _: &mut Rng) -> String {
    let t = r#"import type Stripe from "stripe";
import { stripe } from "@/lib/stripe";
import { prisma } from "@/lib/db";
import { confirmBooking } from "@/services/bookings";

export async function POST(req: Request) {
  const signature = req.headers.get("stripe-signature")!;
  const event = stripe.webhooks.constructEvent(await req.text(), signature, process.env.STRIPE_WEBHOOK_SECRET!);
  const intent = event.data.object as Stripe.PaymentIntent;
  const %b%Id = intent.metadata.%b%Id;
  switch (event.type) {
    case "payment_intent.succeeded":
      await confirmBooking(%b%Id);
      break;
    case "payment_intent.payment_failed":
    case "payment_intent.canceled":
      await prisma.%b%.update({ where: { id: %b%Id }, data: { status: "CANCELLED" } });
      break;
  }
  return new Response(null, { status: 200 });
}
"#;
    fill(t, n, &[])
}

fn cancel_route(n: &Names, _: usize, _: &mut Rng) -> String {
    let t = r#"import { cancelBooking } from "@/services/bookings";

export async function POST(_req: Request, { params }: { params: { id: string } }) {
  const %b% = await cancelBooking(params.id);
  return Response.json({ id: %b%.id, status: %b%.status });
}
"#;
    fill(t, n, &[])
}

fn booking_form(n: &Names, _: usize, _: &mut Rng) -> String {
    let t = r#""use client";

import { useState } from "react";

export function BookingForm({ %s%Id }: { %s%Id: string }) {
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  async function submit(e: React.FormEvent) {
    e.preventDefault();
    const res = await fetch("/api/bookings", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ %s%Id, customerName: name, email }),
    });
    if (!res.ok) setError((await res.json()).error ?? "Something went wrong");
  }
  return (
    <form onSubmit={submit} className="space-y-4">
      <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Name" required />
      <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
      {error && <p role="alert">{error}</p>}
      <button type="submit">Book this %s%</button>
    </form>
  );
}
"#;
    fill(t, n, &[])
}

/// A service for a side topic: reads and writes through Prisma and calls its helpers.
fn topic_service(n: &Names, topic: &str, k: usize, with_helper: bool, rng: &mut Rng) -> String {
    let helper = format!("@/lib/helpers/{topic}-{}", k + 2);
    let import = if with_helper {
        format!(
            "import {{ format{0}, total{0} }} from \"{helper}\";\n",
            pascal(topic)
        )
    } else {
        String::new()
    };
    let use_helper = if with_helper {
        format!(
            "  const label = format{0}(rows.length);\n  const sum = total{0}(rows.map((r) => r.id.length));\n",
            pascal(topic)
        )
    } else {
        "  const label = String(rows.length);\n  const sum = rows.length;\n".to_string()
    };
    let reschedule = if rng.chance(40) {
        r#"
export async function reschedule%K%(%b%Id: string, %s%Id: string) {
  await assertSlotAvailable(%s%Id);
  return prisma.%b%.update({ where: { id: %b%Id }, data: { %s%Id } });
}
"#
    } else {
        ""
    };
    let t = r#"import { prisma } from "@/lib/db";
import { assertSlotAvailable } from "@/services/bookings";
%IMPORT%
export interface %T%Summary%K% {
  label: string;
  sum: number;
  updatedAt: Date;
}

/** Lists the %T% records of a customer's bookings for the dashboard. */
export async function list%T%%K%(email: string): Promise<%T%Summary%K%> {
  const rows = await prisma.%b%.findMany({
    where: { email, status: { not: "CANCELLED" } },
    orderBy: { createdAt: "desc" },
    take: 50,
  });
%USE%  return { label, sum, updatedAt: new Date() };
}

export async function touch%T%%K%(%b%Id: string) {
  const existing = await prisma.%b%.findUnique({ where: { id: %b%Id } });
  if (!existing) return null;
  return prisma.%b%.update({ where: { id: %b%Id }, data: { updatedAt: new Date() } });
}
%RESCHEDULE%"#;
    fill(
        &t.replace("%RESCHEDULE%", reschedule)
            .replace("%IMPORT%", &import)
            .replace("%USE%", &use_helper),
        n,
        &[("T", pascal(topic)), ("K", k.to_string())],
    )
}

/// A route handler calling the topic service written just before it.
fn topic_route(topic: &str, k: usize, _: &mut Rng) -> String {
    let p = pascal(topic);
    let s = k - 1;
    format!(
        r#"import {{ list{p}{s}, touch{p}{s} }} from "@/services/{topic}-{s}";

export async function GET(req: Request) {{
  const email = new URL(req.url).searchParams.get("email");
  if (!email) return Response.json({{ error: "email is required" }}, {{ status: 400 }});
  return Response.json(await list{p}{s}(email));
}}

export async function PATCH(_req: Request, {{ params }}: {{ params: {{ id: string }} }}) {{
  const updated = await touch{p}{s}(params.id);
  if (!updated) return Response.json({{ error: "not found" }}, {{ status: 404 }});
  return Response.json(updated);
}}
"#
    )
}

/// Pure helpers: formatting, arithmetic, date maths. Most files of a real app look like this.
fn helpers(topic: &str, k: usize, rng: &mut Rng) -> String {
    let p = pascal(topic);
    let mut s = format!(
        r#"const LOCALE = "en-GB";

export function format{p}(count: number): string {{
  return new Intl.NumberFormat(LOCALE).format(count) + " {topic}";
}}

export function total{p}(values: number[]): number {{
  return values.reduce((acc, v) => acc + v, 0);
}}
"#
    );
    for i in 0..3 + rng.below(4) {
        let days = 1 + rng.below(30);
        s.push_str(&format!(
            r#"
/** Helper {i} of {topic}-{k}: shifts a date and rounds it to the quarter hour. */
export function shift{p}{i}(date: Date, days = {days}): Date {{
  const out = new Date(date.getTime() + days * 24 * 60 * 60 * 1000);
  out.setMinutes(Math.round(out.getMinutes() / 15) * 15, 0, 0);
  return out;
}}

export const {topic}Labels{i}: Record<string, string> = {{
  short: "{topic} {i}",
  long: "The {topic} view number {i}",
  empty: "Nothing to show yet",
}};
"#
        ));
    }
    s
}

/// A client component with state, effects and a fetch.
fn component(n: &Names, topic: &str, k: usize, rng: &mut Rng) -> String {
    let p = pascal(topic);
    let rows = 2 + rng.below(4);
    let mut cells = String::new();
    for i in 0..rows {
        cells.push_str(&format!(
            "          <td className=\"px-2 py-1\">{{row.label}} {i}</td>\n"
        ));
    }
    let t = r#""use client";

import { useEffect, useState } from "react";

type Row = { id: string; label: string; sum: number };

export function %T%Panel%K%({ email }: { email: string }) {
  const [rows, setRows] = useState<Row[]>([]);
  const [loading, setLoading] = useState(true);
  useEffect(() => {
    let active = true;
    fetch(`/api/%t%?email=${encodeURIComponent(email)}`)
      .then((r) => r.json())
      .then((data) => {
        if (active) setRows(Array.isArray(data) ? data : [data]);
      })
      .finally(() => setLoading(false));
    return () => {
      active = false;
    };
  }, [email]);
  if (loading) return <p>Loading your %b%s...</p>;
  return (
    <table className="w-full text-sm">
      <tbody>
        {rows.map((row) => (
        <tr key={row.id}>
%CELLS%        </tr>
        ))}
      </tbody>
    </table>
  );
}
"#;
    fill(
        &t.replace("%CELLS%", &cells),
        n,
        &[("T", p), ("t", topic.to_string()), ("K", k.to_string())],
    )
}

/// CommonJS helpers, so the JavaScript grammar has work too.
fn legacy_js(topic: &str, k: usize, rng: &mut Rng) -> String {
    let mut s = String::from("\"use strict\";\n\nconst path = require(\"path\");\n\n");
    let count = 2 + rng.below(3);
    for i in 0..count {
        s.push_str(&format!(
            r#"function {topic}Legacy{k}x{i}(items, options) {{
  const opts = Object.assign({{ limit: {limit}, dir: path.join("tmp", "{topic}") }}, options);
  return items.filter(function (item) {{
    return item && item.active !== false;
  }}).slice(0, opts.limit);
}}

"#,
            limit = 10 + rng.below(90)
        ));
    }
    let names: Vec<String> = (0..count)
        .map(|i| format!("{topic}Legacy{k}x{i}"))
        .collect();
    s.push_str(&format!("module.exports = {{ {} }};\n", names.join(", ")));
    s
}
