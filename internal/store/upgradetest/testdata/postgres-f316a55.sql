--
-- PostgreSQL database dump
--

\restrict DRhqYWcJRgOTsy1931Ba4qlKVC6eoZPfWEoVTyvwSkGaXFhlok6ZYnAwptBT8QE

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: api_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_tokens (
    id text NOT NULL,
    name text NOT NULL,
    scopes text[] DEFAULT '{}'::text[] NOT NULL,
    hash bytea NOT NULL,
    created_at timestamp with time zone NOT NULL,
    last_used_at timestamp with time zone,
    revoked_at timestamp with time zone
);


--
-- Name: audit_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit_events (
    id bigint NOT NULL,
    at timestamp with time zone NOT NULL,
    type text NOT NULL,
    actor text DEFAULT ''::text NOT NULL,
    user_id text DEFAULT ''::text NOT NULL,
    user_principal_name text DEFAULT ''::text NOT NULL,
    upn_key text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    client_ip text DEFAULT ''::text NOT NULL,
    user_agent text DEFAULT ''::text NOT NULL,
    details jsonb DEFAULT '{}'::jsonb NOT NULL
);


--
-- Name: audit_events_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.audit_events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.audit_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: codes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.codes (
    id text NOT NULL,
    session_id text NOT NULL,
    user_id uuid,
    purpose text NOT NULL,
    destination text DEFAULT ''::text NOT NULL,
    mac bytea NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    max_attempts integer NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone,
    retired_at timestamp with time zone
);


--
-- Name: outbox_attempts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.outbox_attempts (
    id bigint NOT NULL,
    message_id bigint NOT NULL,
    at timestamp with time zone NOT NULL,
    duration_ns bigint NOT NULL,
    error text DEFAULT ''::text NOT NULL
);


--
-- Name: outbox_attempts_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.outbox_attempts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.outbox_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: outbox_messages; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.outbox_messages (
    id bigint NOT NULL,
    channel text NOT NULL,
    recipient text NOT NULL,
    subject text DEFAULT ''::text NOT NULL,
    body bytea DEFAULT '\x'::bytea NOT NULL,
    status text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone NOT NULL,
    lease_until timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    sent_at timestamp with time zone,
    last_error text DEFAULT ''::text NOT NULL,
    CONSTRAINT outbox_messages_status_check CHECK ((status = ANY (ARRAY['queued'::text, 'sent'::text, 'failed'::text])))
);


--
-- Name: outbox_messages_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.outbox_messages ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.outbox_messages_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version integer NOT NULL,
    name text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: security_answers; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.security_answers (
    user_id uuid NOT NULL,
    "position" integer NOT NULL,
    question_key text NOT NULL,
    hash text NOT NULL
);


--
-- Name: sessions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sessions (
    id text NOT NULL,
    kind text NOT NULL,
    user_id uuid,
    state bytea DEFAULT '\x'::bytea NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    version bigint NOT NULL
);


--
-- Name: sync_runs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sync_runs (
    id bigint NOT NULL,
    mode text NOT NULL,
    status text NOT NULL,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone,
    added integer DEFAULT 0 NOT NULL,
    updated integer DEFAULT 0 NOT NULL,
    deleted integer DEFAULT 0 NOT NULL,
    unchanged integer DEFAULT 0 NOT NULL,
    rejected integer DEFAULT 0 NOT NULL,
    errors jsonb DEFAULT '[]'::jsonb NOT NULL
);


--
-- Name: sync_runs_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.sync_runs ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.sync_runs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: sync_state; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sync_state (
    key text NOT NULL,
    watermark text NOT NULL,
    updated_at timestamp with time zone NOT NULL
);


--
-- Name: throttle_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.throttle_events (
    id bigint NOT NULL,
    key text NOT NULL,
    at timestamp with time zone NOT NULL
);


--
-- Name: throttle_events_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.throttle_events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.throttle_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: throttle_locks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.throttle_locks (
    key text NOT NULL,
    locked_until timestamp with time zone NOT NULL
);


--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    id uuid NOT NULL,
    source text NOT NULL,
    anchor bytea,
    dn text DEFAULT ''::text NOT NULL,
    user_principal_name text NOT NULL,
    upn_key text NOT NULL COLLATE pg_catalog."C",
    display_name text DEFAULT ''::text NOT NULL,
    display_name_key text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    mobile_phone_raw text DEFAULT ''::text NOT NULL,
    mobile_phone_number text DEFAULT ''::text NOT NULL,
    mobile_phone_type text DEFAULT ''::text NOT NULL,
    mobile_phone_problem text DEFAULT ''::text NOT NULL,
    office_phone_raw text DEFAULT ''::text NOT NULL,
    office_phone_number text DEFAULT ''::text NOT NULL,
    office_phone_type text DEFAULT ''::text NOT NULL,
    office_phone_problem text DEFAULT ''::text NOT NULL,
    alternate_emails text[] DEFAULT '{}'::text[] NOT NULL,
    account_enabled boolean DEFAULT false NOT NULL,
    privileged boolean DEFAULT false NOT NULL,
    authentication_phone text DEFAULT ''::text NOT NULL,
    authentication_email text DEFAULT ''::text NOT NULL,
    directory_fields text[] DEFAULT '{}'::text[] NOT NULL,
    directory_mobile_phone text DEFAULT ''::text NOT NULL,
    mobile_phone_overridden boolean DEFAULT false NOT NULL,
    fingerprint bigint DEFAULT 0 NOT NULL,
    security_questions_count integer DEFAULT 0 NOT NULL,
    security_questions_registered_at timestamp with time zone,
    version bigint NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT users_source_check CHECK ((source = ANY (ARRAY['directory'::text, 'cloud'::text])))
);


--
-- Data for Name: api_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.api_tokens VALUES ('01a249de-e1cc-7eec-8fdf-8fecf90c7733', 'monitoring', '{reports}', '\xabababababababababababababababababababababababababababababababab', '2026-11-20 08:00:00+00', NULL, NULL);


--
-- Data for Name: audit_events; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.audit_events OVERRIDING SYSTEM VALUE VALUES (1, '2026-11-20 08:00:00+00', 'admin.user.created', 'cli:root', '01a249de-e1c9-7a14-9ff8-408bccc5f1e7', 'contractor@contoso.com', 'contractor@contoso.com', '', '', '{"source": "cloud"}');


--
-- Data for Name: codes; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: outbox_attempts; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: outbox_messages; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.outbox_messages OVERRIDING SYSTEM VALUE VALUES (1, 'email', 'alice.anderson@example.net', 'Your password was changed', '\x7365616c6564', 'queued', 0, '2126-10-27 08:00:00+00', NULL, '2026-12-06 05:41:13.294029+00', NULL, '');


--
-- Data for Name: schema_migrations; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.schema_migrations VALUES (1, '0001_init.sql', '2026-12-06 05:41:11.539104+00');
INSERT INTO public.schema_migrations VALUES (2, '0002_flows.sql', '2026-12-06 05:41:11.608265+00');


--
-- Data for Name: security_answers; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.security_answers VALUES ('01a249de-db7d-728d-be03-adc6eb5e8e10', 1, 'firstPet', '$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g');
INSERT INTO public.security_answers VALUES ('01a249de-db7d-728d-be03-adc6eb5e8e10', 2, 'birthCity', '$argon2id$v=19$m=65536,t=3,p=2$c2FsdDJzYWx0MnM$aGFzaDJoYXNoMmhhc2gyaGFzaDJoYXNoMmhhc2gyaA');


--
-- Data for Name: sessions; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: sync_runs; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.sync_runs OVERRIDING SYSTEM VALUE VALUES (1, 'full', 'succeeded', '2026-12-06 05:41:11.639945+00', '2026-12-06 05:41:11.693697+00', 21, 0, 0, 0, 4, '["heidi: mobilePhone \"555-1234\": not a valid phone number: too few digits for country code +1", "ivan: mobilePhone \"call me maybe\": invalid character: ''c''; a phone number holds only digits, a leading +, spaces, ( ) - . / and an extension such as x123", "trent: mobilePhone \"+999 12345678\": unknown country code: the digits after + do not start with a country calling code in use", "jsmith: mobilePhone \"0044 7400 123457\": not a valid phone number: too many digits for country code +1"]');


--
-- Data for Name: sync_state; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.sync_state VALUES ('ldif:/tmp/w/me/gen/users.ldif?alternateEmails=mail&displayName=displayName&kind=openldap&mobilePhone=mobile&objectClass=inetOrgPerson&officePhone=telephoneNumber&userPrincipalName=uid', '', '2026-12-06 05:41:11.683924+00');


--
-- Data for Name: throttle_events; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.throttle_events OVERRIDING SYSTEM VALUE VALUES (1, 'ip:192.0.2.9', '2026-11-20 08:00:00+00');


--
-- Data for Name: throttle_locks; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.throttle_locks VALUES ('user:01a249de-db7d-728d-be03-adc6eb5e8e10', '2126-10-27 08:00:00+00');


--
-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.users VALUES ('01a249de-db7e-75e7-b017-18bfb84f3260', 'directory', '\x5b0c0f3e000240008000000000000002', 'uid=bob,ou=Staff,dc=contoso,dc=com', 'bob', 'bob', 'Bob Baker', 'bob baker', '(425) 555-0102', '+1 4255550102', 'fixedLineOrMobile', '', '', '', '', '', '{}', true, false, '', '', '{userPrincipalName,displayName,mobilePhone,officePhone,accountEnabled,alternateEmails}', '(425) 555-0102', false, 5013668214159833056, 0, NULL, 1, '2026-12-06 05:41:11.678389+00', '2026-12-06 05:41:11.678389+00');
INSERT INTO public.users VALUES ('01a249de-db7e-75ff-948f-e90418a5703f', 'directory', '\x5b0c0f3e000340008000000000000003', 'uid=carol,ou=Staff,dc=contoso,dc=com', 'carol', 'carol', 'Carol Clarke', 'carol clarke', '+44 7400 123456', '+44 7400123456', 'mobile', '', '+44 (0)20 7946 0958', '+44 2079460958', 'fixedLine', '', '{carol.clarke@example.org}', true, false, '', '', '{userPrincipalName,displayName,mobilePhone,officePhone,accountEnabled,alternateEmails}', '+44 7400 123456', false, 4251920726443730410, 0, NULL, 1, '2026-12-06 05:41:11.678394+00', '2026-12-06 05:41:11.678394+00');
INSERT INTO public.users VALUES ('01a249de-db7e-760b-8d1b-02f0f7191c95', 'directory', '\x5b0c0f3e000440008000000000000004', 'uid=dave,ou=Staff,dc=contoso,dc=com', 'dave', 'dave', 'Dave Dawson', 'dave dawson', '+44 20 7946 0000', '+44 2079460000', 'fixedLine', '', '', '', '', '', '{}', true, false, '', '', '{userPrincipalName,displayName,mobilePhone,officePhone,accountEnabled,alternateEmails}', '+44 20 7946 0000', false, 8931837901531970118, 0, NULL, 1, '2026-12-06 05:41:11.678397+00', '2026-12-06 05:41:11.678397+00');
INSERT INTO public.users VALUES ('01a249de-db7e-7614-9909-20997c4492e1', 'directory', '\x5b0c0f3e000540008000000000000005', 'uid=erin,ou=Staff,dc=contoso,dc=com', 'erin', 'erin', 'Erin Engel', 'erin engel', '+49 151 23456789', '+49 15123456789', 'mobile', '', '+49 (0)30 1234567', '+49 301234567', 'fixedLine', '', '{}', true, false, '', '', '{userPrincipalName,displayName,mobilePhone,officePhone,accountEnabled,alternateEmails}', '+49 151 23456789', false, -4638348376630470347, 0, NULL, 1, '2026-12-06 05:41:11.678399+00', '2026-12-06 05:41:11.678399+00');
INSERT INTO public.users VALUES ('01a249de-db7e-761e-b02e-a28d2604ac86', 'directory', '\x5b0c0f3e000640008000000000000006', 'uid=frank,ou=Staff,dc=contoso,dc=com', 'frank', 'frank', 'Frank Fischer', 'frank fischer', 'tel:+1-425-555-0103;ext=12', '+1 4255550103', 'fixedLineOrMobile', '', '', '', '', '', '{}', true, false, '', '', '{userPrincipalName,displayName,mobilePhone,officePhone,accountEnabled,alternateEmails}', 'tel:+1-425-555-0103;ext=12', false, 3754690440228042983, 0, NULL, 1, '2026-12-06 05:41:11.678401+00', '2026-12-06 05:41:11.678401+00');
INSERT INTO public.users VALUES ('01a249de-db7e-7628-990b-93909e4c0b13', 'directory', '\x5b0c0f3e000740008000000000000007', 'uid=grace,ou=Staff,dc=contoso,dc=com', 'grace', 'grace', 'Grace Green', 'grace green', '＋１ ４２５ ５５５ ０１０４', '+1 4255550104', 'fixedLineOrMobile', '', '', '', '', '', '{}', true, false, '', '', '{userPrincipalName,displayName,mobilePhone,officePhone,accountEnabled,alternateEmails}', '＋１ ４２５ ５５５ ０１０４', false, -8221898362675112087, 0, NULL, 1, '2026-12-06 05:41:11.678404+00', '2026-12-06 05:41:11.678404+00');
INSERT INTO public.users VALUES ('01a249de-db83-7d28-a259-1156342e464c', 'directory', '\x5b0c0f3e000840008000000000000008', 'uid=heidi,ou=Staff,dc=contoso,dc=com', 'heidi', 'heidi', 'Heidi Hart', 'heidi hart', '555-1234', '', '', 'not a valid phone number: too few digits for country code +1', '', '', '', '', '{heidi.hart@example.net}', true, false, '', '', '{userPrincipalName,displayName,mobilePhone,officePhone,accountEnabled,alternateEmails}', '555-1234', false, -3838847465205754196, 0, NULL, 1, '2026-12-06 05:41:11.683864+00', '2026-12-06 05:41:11.683864+00');
INSERT INTO public.users VALUES ('01a249de-db83-7d5e-85a4-90270b84b3ee', 'directory', '\x5b0c0f3e000940008000000000000009', 'uid=ivan,ou=Staff,dc=contoso,dc=com', 'ivan', 'ivan', 'Ivan Ivanov', 'ivan ivanov', 'call me maybe', '', '', 'invalid character: ''c''; a phone number holds only digits, a leading +, spaces, ( ) - . / and an extension such as x123', '', '', '', '', '{}', true, false, '', '', '{userPrincipalName,displayName,mobilePhone,officePhone,accountEnabled,alternateEmails}', 'call me maybe', false, 7760136878717350880, 0, NULL, 1, '2026-12-06 05:41:11.683876+00', '2026-12-06 05:41:11.683876+00');
INSERT INTO public.users VALUES ('01a249de-db83-7d79-b8e0-91b52e4fd8db', 'directory', '\x5b0c0f3e001040008000000000000010', 'uid=judy,ou=Staff,dc=contoso,dc=com', 'judy', 'judy', 'Judy Jones', 'judy jones', '', '', '', '', '', '', '', '', '{judy.jones@example.com}', true, false, '', '', '{userPrincipalName,displayName,mobilePhone,officePhone,accountEnabled,alternateEmails}', '', false, -84510014860742620, 0, NULL, 1, '2026-12-06 05:41:11.683883+00', '2026-12-06 05:41:11.683883+00');
INSERT INTO public.users VALUES ('01a249de-db83-7d81-b4eb-a5229ca984dc', 'directory', '\x5b0c0f3e001140008000000000000011', 'uid=mallory,ou=Staff,dc=contoso,dc=com', 'mallory', 'mallory', 'Mallory Miller', 'mallory miller', '', '', '', '', '', '', '', '', '{}', true, false, '', '', '{userPrincipalName,displayName,mobilePhone,officePhone,accountEnabled,alternateEmails}', '', false, 2722839375263803200, 0, NULL, 1, '2026-12-06 05:41:11.683885+00', '2026-12-06 05:41:11.683885+00');
INSERT INTO public.users VALUES ('01a249de-db83-7d87-9249-672799897295', 'directory', '\x5b0c0f3e001240008000000000000012', 'uid=niaj,ou=Staff,dc=contoso,dc=com', 'niaj', 'niaj', 'Niaj Novak', 'niaj novak', '+1 4255550105X12345', '+1 4255550105', 'fixedLineOrMobile', '', '', '', '', '', '{}', true, false, '', '', '{userPrincipalName,displayName,mobilePhone,officePhone,accountEnabled,alternateEmails}', '+1 4255550105X12345', false, 2834151079574130957, 0, NULL, 1, '2026-12-06 05:41:11.683887+00', '2026-12-06 05:41:11.683887+00');
INSERT INTO public.users VALUES ('01a249de-db83-7d8e-80d0-7422ee16dcc6', 'directory', '\x5b0c0f3e001340008000000000000013', 'uid=olivia,ou=Staff,dc=contoso,dc=com', 'olivia', 'olivia', 'Olivia Olsen', 'olivia olsen', '', '', '', '', '+1 425 555 0106', '+1 4255550106', 'fixedLineOrMobile', '', '{}', true, false, '', '', '{userPrincipalName,displayName,mobilePhone,officePhone,accountEnabled,alternateEmails}', '', false, 6560932655225308823, 0, NULL, 1, '2026-12-06 05:41:11.683888+00', '2026-12-06 05:41:11.683888+00');
INSERT INTO public.users VALUES ('01a249de-db83-7d95-8a04-6f9a66cf8557', 'directory', '\x5b0c0f3e001440008000000000000014', 'uid=peggy,ou=Staff,dc=contoso,dc=com', 'peggy', 'peggy', 'Peggy Petit', 'peggy petit', '+33 6 12 34 56 78', '+33 612345678', 'mobile', '', '', '', '', '', '{}', true, false, '', '', '{userPrincipalName,displayName,mobilePhone,officePhone,accountEnabled,alternateEmails}', '+33 6 12 34 56 78', false, 8160916479457525336, 0, NULL, 1, '2026-12-06 05:41:11.68389+00', '2026-12-06 05:41:11.68389+00');
INSERT INTO public.users VALUES ('01a249de-db83-7d9a-abaa-12d3883c3ede', 'directory', '\x5b0c0f3e001540008000000000000015', 'uid=rupert,ou=Staff,dc=contoso,dc=com', 'rupert', 'rupert', 'Rupert Reid', 'rupert reid', '+61 412 345 678', '+61 412345678', 'mobile', '', '', '', '', '', '{rupert.reid@example.com.au}', true, false, '', '', '{userPrincipalName,displayName,mobilePhone,officePhone,accountEnabled,alternateEmails}', '+61 412 345 678', false, 2850982228147067348, 0, NULL, 1, '2026-12-06 05:41:11.683892+00', '2026-12-06 05:41:11.683892+00');
INSERT INTO public.users VALUES ('01a249de-db83-7dac-b53e-df90175c1873', 'directory', '\x5b0c0f3e001640008000000000000016', 'uid=sybil,ou=Staff,dc=contoso,dc=com', 'sybil', 'sybil', 'Sybil Shaw', 'sybil shaw', '+1 425 555 0107 ext. 99', '+1 4255550107', 'fixedLineOrMobile', '', '', '', '', '', '{}', true, false, '', '', '{userPrincipalName,displayName,mobilePhone,officePhone,accountEnabled,alternateEmails}', '+1 425 555 0107 ext. 99', false, 7384128016841939340, 0, NULL, 1, '2026-12-06 05:41:11.683896+00', '2026-12-06 05:41:11.683896+00');
INSERT INTO public.users VALUES ('01a249de-db83-7db2-91c3-a7c1fddb83a7', 'directory', '\x5b0c0f3e001740008000000000000017', 'uid=trent,ou=Staff,dc=contoso,dc=com', 'trent', 'trent', 'Trent Turner', 'trent turner', '+999 12345678', '', '', 'unknown country code: the digits after + do not start with a country calling code in use', '', '', '', '', '{}', true, false, '', '', '{userPrincipalName,displayName,mobilePhone,officePhone,accountEnabled,alternateEmails}', '+999 12345678', false, 3937180007021685148, 0, NULL, 1, '2026-12-06 05:41:11.683898+00', '2026-12-06 05:41:11.683898+00');
INSERT INTO public.users VALUES ('01a249de-db83-7dbc-9786-dd45cc4a7bca', 'directory', '\x5b0c0f3e001840008000000000000018', 'uid=victor,ou=Staff,dc=contoso,dc=com', 'victor', 'victor', 'Victor Vance', 'victor vance', '+1 206 555 0108', '+1 2065550108', 'fixedLineOrMobile', '', '+1 206 555 0109', '+1 2065550109', 'fixedLineOrMobile', '', '{victor.vance@example.com}', true, false, '', '', '{userPrincipalName,displayName,mobilePhone,officePhone,accountEnabled,alternateEmails}', '+1 206 555 0108', false, 3034795351398638735, 0, NULL, 1, '2026-12-06 05:41:11.683902+00', '2026-12-06 05:41:11.683902+00');
INSERT INTO public.users VALUES ('01a249de-db83-7dc7-85a8-b39c8405ddfd', 'directory', '\x5b0c0f3e001940008000000000000019', 'uid=zoe,ou=Staff,dc=contoso,dc=com', 'zoe', 'zoe', 'Zoë Ångström', 'zoë ångström', '+46 70 123 45 67', '+46 701234567', 'mobile', '', '', '', '', '', '{zoe@example.se}', true, false, '', '', '{userPrincipalName,displayName,mobilePhone,officePhone,accountEnabled,alternateEmails}', '+46 70 123 45 67', false, 5192350055746266858, 0, NULL, 1, '2026-12-06 05:41:11.683906+00', '2026-12-06 05:41:11.683906+00');
INSERT INTO public.users VALUES ('01a249de-db83-7ddb-9851-ee1f8bbcfa8b', 'directory', '\x5b0c0f3e002040008000000000000020', 'cn=Smith\, John,ou=Staff,dc=contoso,dc=com', 'jsmith', 'jsmith', 'John Smith, Jr.', 'john smith, jr.', '0044 7400 123457', '', '', 'not a valid phone number: too many digits for country code +1', '', '', '', '', '{}', true, false, '', '', '{userPrincipalName,displayName,mobilePhone,officePhone,accountEnabled,alternateEmails}', '0044 7400 123457', false, 567556722816972462, 0, NULL, 1, '2026-12-06 05:41:11.683908+00', '2026-12-06 05:41:11.683908+00');
INSERT INTO public.users VALUES ('01a249de-db83-7de6-8ef7-9cc0635f8ae3', 'directory', '\x5b0c0f3e002140008000000000000021', 'uid=xavier,ou=Staff,dc=contoso,dc=com', 'xavier', 'xavier', 'Xavier Xu', 'xavier xu', '+1 425 555 0110', '+1 4255550110', 'fixedLineOrMobile', '', '', '', '', '', '{xavier.xu@example.com}', false, false, '', '', '{userPrincipalName,displayName,mobilePhone,officePhone,accountEnabled,alternateEmails}', '+1 425 555 0110', false, -6978338796881643273, 0, NULL, 1, '2026-12-06 05:41:11.683911+00', '2026-12-06 05:41:11.683911+00');
INSERT INTO public.users VALUES ('01a249de-db7d-728d-be03-adc6eb5e8e10', 'directory', '\x5b0c0f3e000140008000000000000001', 'uid=alice,ou=Staff,dc=contoso,dc=com', 'alice', 'alice', 'Alice Anderson', 'alice anderson', '+1 425 555 0100', '+1 4255550100', 'fixedLineOrMobile', '', '+1 (425) 555-0101 x2345', '+1 4255550101', 'fixedLineOrMobile', '', '{alice.anderson@example.net}', true, false, '', '', '{userPrincipalName,displayName,mobilePhone,officePhone,accountEnabled,alternateEmails}', '+1 425 555 0100', false, 5073358373929789955, 2, '2026-11-20 08:00:00+00', 1, '2026-12-06 05:41:11.677175+00', '2026-12-06 05:41:11.677175+00');
INSERT INTO public.users VALUES ('01a249de-e1c9-7a14-9ff8-408bccc5f1e7', 'cloud', NULL, '', 'contractor@contoso.com', 'contractor@contoso.com', 'Cloud Contractor', 'cloud contractor', '', '', '', '', '', '', '', '', '{contractor@example.org}', true, false, '', 'contractor@example.org', '{}', '', false, 0, 0, NULL, 1, '2026-12-06 05:41:13.289665+00', '2026-12-06 05:41:13.289665+00');


--
-- Name: audit_events_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.audit_events_id_seq', 1, true);


--
-- Name: outbox_attempts_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.outbox_attempts_id_seq', 1, false);


--
-- Name: outbox_messages_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.outbox_messages_id_seq', 1, true);


--
-- Name: sync_runs_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.sync_runs_id_seq', 1, true);


--
-- Name: throttle_events_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.throttle_events_id_seq', 1, true);


--
-- Name: api_tokens api_tokens_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_tokens
    ADD CONSTRAINT api_tokens_hash_key UNIQUE (hash);


--
-- Name: api_tokens api_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_tokens
    ADD CONSTRAINT api_tokens_pkey PRIMARY KEY (id);


--
-- Name: audit_events audit_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_events
    ADD CONSTRAINT audit_events_pkey PRIMARY KEY (id);


--
-- Name: codes codes_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.codes
    ADD CONSTRAINT codes_pkey PRIMARY KEY (id);


--
-- Name: outbox_attempts outbox_attempts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.outbox_attempts
    ADD CONSTRAINT outbox_attempts_pkey PRIMARY KEY (id);


--
-- Name: outbox_messages outbox_messages_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.outbox_messages
    ADD CONSTRAINT outbox_messages_pkey PRIMARY KEY (id);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: security_answers security_answers_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.security_answers
    ADD CONSTRAINT security_answers_pkey PRIMARY KEY (user_id, "position");


--
-- Name: security_answers security_answers_user_id_question_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.security_answers
    ADD CONSTRAINT security_answers_user_id_question_key_key UNIQUE (user_id, question_key);


--
-- Name: sessions sessions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (id);


--
-- Name: sync_runs sync_runs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sync_runs
    ADD CONSTRAINT sync_runs_pkey PRIMARY KEY (id);


--
-- Name: sync_state sync_state_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sync_state
    ADD CONSTRAINT sync_state_pkey PRIMARY KEY (key);


--
-- Name: throttle_events throttle_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.throttle_events
    ADD CONSTRAINT throttle_events_pkey PRIMARY KEY (id);


--
-- Name: throttle_locks throttle_locks_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.throttle_locks
    ADD CONSTRAINT throttle_locks_pkey PRIMARY KEY (key);


--
-- Name: users users_anchor_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_anchor_key UNIQUE (anchor);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: users users_upn_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_upn_key_key UNIQUE (upn_key);


--
-- Name: api_tokens_name; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX api_tokens_name ON public.api_tokens USING btree (name) WHERE (revoked_at IS NULL);


--
-- Name: audit_events_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_events_at ON public.audit_events USING btree (at);


--
-- Name: audit_events_upn; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_events_upn ON public.audit_events USING btree (upn_key, at);


--
-- Name: codes_expires; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX codes_expires ON public.codes USING btree (expires_at);


--
-- Name: codes_live; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX codes_live ON public.codes USING btree (session_id, purpose) WHERE ((used_at IS NULL) AND (retired_at IS NULL));


--
-- Name: codes_session; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX codes_session ON public.codes USING btree (session_id, purpose);


--
-- Name: codes_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX codes_user ON public.codes USING btree (user_id);


--
-- Name: outbox_attempts_message; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outbox_attempts_message ON public.outbox_attempts USING btree (message_id, id);


--
-- Name: outbox_messages_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outbox_messages_due ON public.outbox_messages USING btree (next_attempt_at) WHERE (status = 'queued'::text);


--
-- Name: sessions_expires; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sessions_expires ON public.sessions USING btree (expires_at);


--
-- Name: sessions_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sessions_user ON public.sessions USING btree (user_id);


--
-- Name: sync_runs_running; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sync_runs_running ON public.sync_runs USING btree (status) WHERE (status = 'running'::text);


--
-- Name: throttle_events_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX throttle_events_at ON public.throttle_events USING btree (at);


--
-- Name: throttle_events_key; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX throttle_events_key ON public.throttle_events USING btree (key, at);


--
-- Name: codes codes_session_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.codes
    ADD CONSTRAINT codes_session_id_fkey FOREIGN KEY (session_id) REFERENCES public.sessions(id) ON DELETE CASCADE;


--
-- Name: codes codes_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.codes
    ADD CONSTRAINT codes_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: outbox_attempts outbox_attempts_message_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.outbox_attempts
    ADD CONSTRAINT outbox_attempts_message_id_fkey FOREIGN KEY (message_id) REFERENCES public.outbox_messages(id) ON DELETE CASCADE;


--
-- Name: security_answers security_answers_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.security_answers
    ADD CONSTRAINT security_answers_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: sessions sessions_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--

\unrestrict DRhqYWcJRgOTsy1931Ba4qlKVC6eoZPfWEoVTyvwSkGaXFhlok6ZYnAwptBT8QE

