#!/usr/bin/env python3
"""Differential check of the geo commands: the same random GEOADDs and
searches (every form and option, bad arguments, RESP2 and RESP3, STORE
results) against redis-server 7 and corekv, replies compared byte for
byte. FLUSHALLs both servers first.

usage: geo_differential.py REDIS COREKV [SEED [COMMANDS]]
  REDIS, COREKV: host:port or a unix socket path
"""
import socket, random, sys
class C:
    def __init__(s,addr):
        if isinstance(addr,str):
            s.s=socket.socket(socket.AF_UNIX); s.s.connect(addr)
        else:
            s.s=socket.socket(); s.s.connect(addr)
        s.f=s.s.makefile('rb')
    def cmd(s,*args):
        out=b"*%d\r\n"%len(args)
        for a in args:
            a=str(a).encode()
            out+=b"$%d\r\n%s\r\n"%(len(a),a)
        s.s.sendall(out)
        return s.read()
    def read(s):
        l=s.f.readline()
        t=l[:1]; rest=l[1:-2]
        if t in b"+-:_,#(": return l
        if t==b"$":
            n=int(rest)
            if n<0: return l
            return l+s.f.read(n+2)
        if t in b"*%~":
            n=int(rest)
            if n<0: return l
            if t==b"%": n*=2
            return l+b"".join(s.read() for _ in range(n))
        raise Exception(repr(l))
def addr(s):
    if s.startswith('/'):
        return s
    h,p=s.rsplit(':',1)
    return (h,int(p))
if len(sys.argv)<3:
    sys.exit(__doc__)
a=C(addr(sys.argv[1])); b=C(addr(sys.argv[2]))
seed=int(sys.argv[3]) if len(sys.argv)>3 else 1
rnd=random.Random(seed)
for c in (a,b): c.cmd("flushall")
K="{g}pts"
def rlon(): return rnd.choice([rnd.uniform(-180,180), rnd.uniform(170,180), rnd.uniform(-180,-170), rnd.uniform(13,14), 180, -180, 0])
def rlat(): return rnd.choice([rnd.uniform(-85.05112878,85.05112878), rnd.uniform(84,85.05112878), rnd.uniform(-85.05112878,-84), rnd.uniform(37,38), 85.05112878, -85.05112878, 0])
n=0
for i in range(300):
    args=["geoadd",K]
    for j in range(10):
        args += ["%.6f"%rlon(),"%.6f"%rlat(),"m%d"%n]; n+=1
    ra=a.cmd(*args); rb=b.cmd(*args)
    assert ra==rb,(args,ra,rb)
units=["m","km","ft","mi","M","KM","parsec"]
bad=0; total=0
for q in range(int(sys.argv[4]) if len(sys.argv)>4 else 1500):
    form=rnd.choice(["search","searchstore","radius","radius_ro","bymember","bymember_ro","pos","dist","hash"])
    rad=rnd.choice([0,1,10,100,1000,5000,20000,50000,1e6,1e7,2e7,-1,"x"])
    unit=rnd.choice(units[:6]) if rnd.random()<0.97 else "parsec"
    opts=[]
    for o in rnd.sample(["WITHDIST","WITHCOORD","WITHHASH","ASC","DESC","COUNT","ANY"],rnd.randint(0,4)):
        if o=="COUNT": opts+=["COUNT",str(rnd.choice([1,2,5,50,0,-1]))]
        else: opts.append(o)
    lon,lat="%.5f"%rlon(),"%.5f"%rlat()
    if rnd.random()<0.02: lon="181"
    mem="m%d"%rnd.randrange(n+5)
    if form in("search","searchstore"):
        frm=["FROMMEMBER",mem] if rnd.random()<0.5 else ["FROMLONLAT",lon,lat]
        by=["BYRADIUS",rad,unit] if rnd.random()<0.5 else ["BYBOX",rnd.choice([0,1,100,2000,40000,"y"]),rnd.choice([0,1,100,2000,40000,-1]),unit]
        parts=[frm,by,opts]; rnd.shuffle(parts)
        if form=="search": args=["GEOSEARCH",K]+sum(parts,[])
        else:
            o2=[x for x in sum(parts,[]) if x not in("WITHDIST","WITHCOORD","WITHHASH") or rnd.random()<0.1]
            if rnd.random()<0.5: o2.append("STOREDIST")
            args=["GEOSEARCHSTORE","{g}dst",K]+o2
    elif form in("radius","radius_ro","bymember","bymember_ro"):
        name={"radius":"GEORADIUS","radius_ro":"GEORADIUS_RO","bymember":"GEORADIUSBYMEMBER","bymember_ro":"GEORADIUSBYMEMBER_RO"}[form]
        head=[lon,lat] if "radius" in form and "member" not in form else [mem]
        o2=list(opts)
        if "ro" not in form and rnd.random()<0.4:
            o2=[x for x in o2 if x not in("WITHDIST","WITHCOORD","WITHHASH") or rnd.random()<0.1]
            o2+= [rnd.choice(["STORE","STOREDIST"]),"{g}dst"]
        args=[name,K]+head+[rad,unit]+o2
    elif form=="pos": args=["GEOPOS",K]+["m%d"%rnd.randrange(n+5) for _ in range(3)]
    elif form=="hash": args=["GEOHASH",K]+["m%d"%rnd.randrange(n+5) for _ in range(3)]
    else: args=["GEODIST",K,mem,"m%d"%rnd.randrange(n+5)]+([unit] if rnd.random()<0.7 else [])
    proto=rnd.choice([2,3])
    for c in (a,b): c.cmd("hello",proto)
    ra=a.cmd(*args); rb=b.cmd(*args)
    total+=1
    if "STORE" in " ".join(map(str,args)).upper() and ra==rb and not ra.startswith(b"-"):
        za=a.cmd("zrange","{g}dst",0,-1,"withscores"); zb=b.cmd("zrange","{g}dst",0,-1,"withscores")
        if za!=zb: print("STORE DIFF",args,za[:300],zb[:300]); bad+=1
    if ra!=rb:
        bad+=1
        if bad<=8: print("DIFF",proto,args,"\n redis:",ra[:400],"\n corekv:",rb[:400])
print("total",total,"bad",bad)
