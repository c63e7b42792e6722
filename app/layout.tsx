import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { SiteNav } from "./_components/site-nav";
import { Providers } from "./providers";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Cached Blog", template: "%s · Cached Blog" },
  description: "A blog whose reads are served through a Redis cache in front of PostgreSQL.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="site-header">
          <nav aria-label="Site" className="container nav">
            <SiteNav />
          </nav>
        </header>
        <main id="main" className="container">
          <Providers>{children}</Providers>
        </main>
        <footer className="site-footer container">
          <p>Reads served through Redis in front of PostgreSQL.</p>
        </footer>
      </body>
    </html>
  );
}
